/**
 * POP3 access for mailcore: {@link dev.mailcore.pop3.Pop3Store}, a {@link dev.mailcore.MailStore}
 * on Angus Mail.
 */
package dev.mailcore.pop3;
