/** mailcore's MailStore over IMAP, on Angus Mail. */
module dev.mailcore.imap {
  requires dev.mailcore;
  requires jakarta.mail;
  requires org.eclipse.angus.mail;
  requires org.slf4j;

  exports dev.mailcore.imap;
  // Jakarta Mail instantiates the guarded IMAP stores named by mail.imap(s).class
  exports dev.mailcore.imap.internal to
      jakarta.mail;

  provides dev.mailcore.spi.MailStoreProvider with
      dev.mailcore.imap.internal.ImapStoreProvider;
}
