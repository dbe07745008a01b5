/**
 * mailcore's API: messages, addresses, the sending and receiving interfaces, errors, provider
 * lookup, and in-memory fakes for tests.
 */
module dev.mailcore {
  requires jakarta.mail;
  requires org.slf4j;
  // TCP_QUICKACK for store sockets (dev.mailcore.internal.QuickAckInput)
  requires jdk.net;

  exports dev.mailcore;
  exports dev.mailcore.spi;
  exports dev.mailcore.testing;
  // shared machinery for the protocol modules only
  exports dev.mailcore.internal to
      dev.mailcore.smtp,
      dev.mailcore.pop3,
      dev.mailcore.imap;

  uses dev.mailcore.spi.MailStoreProvider;
  uses dev.mailcore.spi.MailSenderProvider;

  provides dev.mailcore.spi.MailStoreProvider with
      dev.mailcore.internal.InMemoryStoreProvider;
}
