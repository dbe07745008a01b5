/** mailcore's SMTP client engine, relay sender, MX routing and durable delivery queue. */
module dev.mailcore.smtp {
  requires dev.mailcore;
  requires jakarta.mail;
  requires org.dnsjava;
  requires org.slf4j;

  exports dev.mailcore.smtp;
  exports dev.mailcore.smtp.queue;

  provides dev.mailcore.spi.MailSenderProvider with
      dev.mailcore.smtp.internal.SmtpSenderProvider;
}
