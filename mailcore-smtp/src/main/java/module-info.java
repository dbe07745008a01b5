/** mailcore's SMTP client engine, relay sender, MX routing and durable delivery queue. */
module dev.mailcore.smtp {
  requires dev.mailcore;
  requires jakarta.mail;
  requires org.dnsjava;
  requires org.slf4j;
  requires java.sql;

  exports dev.mailcore.smtp;
  exports dev.mailcore.smtp.queue;
  exports dev.mailcore.smtp.queue.jdbc;

  provides dev.mailcore.spi.MailSenderProvider with
      dev.mailcore.smtp.internal.SmtpSenderProvider;
}
