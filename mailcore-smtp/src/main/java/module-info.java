/** mailcore's SMTP client engine, relay sender, MX routing, durable delivery queue and DKIM. */
module dev.mailcore.smtp {
  requires transitive dev.mailcore; // its types are in our public signatures
  requires jakarta.mail;
  requires org.dnsjava;
  requires org.slf4j;
  requires java.sql;

  exports dev.mailcore.smtp;
  exports dev.mailcore.smtp.mx;
  exports dev.mailcore.smtp.dkim;
  exports dev.mailcore.smtp.check;
  exports dev.mailcore.smtp.queue;
  exports dev.mailcore.smtp.queue.jdbc;

  provides dev.mailcore.spi.MailSenderProvider with
      dev.mailcore.smtp.internal.SmtpSenderProvider;
}
