/** mailcore's SMTP client engine, relay sender, MX routing and durable delivery queue. */
module dev.mailcore.smtp {
  requires transitive dev.mailcore; // its types are in our public signatures
  requires jakarta.mail;
  requires org.dnsjava;
  requires org.slf4j;

  exports dev.mailcore.smtp;

  provides dev.mailcore.spi.MailSenderProvider with
      dev.mailcore.smtp.internal.SmtpSenderProvider;
}
