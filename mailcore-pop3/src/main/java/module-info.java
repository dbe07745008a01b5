/** mailcore's MailStore over POP3, on Angus Mail. */
module dev.mailcore.pop3 {
  requires dev.mailcore;
  requires jakarta.mail;
  requires org.eclipse.angus.mail;
  requires org.slf4j;

  exports dev.mailcore.pop3;

  provides dev.mailcore.spi.MailStoreProvider with
      dev.mailcore.pop3.internal.Pop3StoreProvider;
}
