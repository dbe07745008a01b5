/**
 * IMAP access for mailcore: {@link dev.mailcore.imap.ImapStore}, a {@link dev.mailcore.MailStore}
 * on Angus Mail.
 */
package dev.mailcore.imap;
