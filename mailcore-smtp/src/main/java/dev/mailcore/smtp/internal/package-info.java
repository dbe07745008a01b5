/**
 * The SMTP client engine and the machinery shared by the relay, MX delivery and the queue; not
 * exported. {@link dev.mailcore.smtp.internal.SmtpSession} is one connection (RFC 5321 with
 * STARTTLS, AUTH, PIPELINING, CHUNKING, SMTPUTF8, DSN, SIZE); {@link
 * dev.mailcore.smtp.internal.SessionPool} reuses sessions to one server; {@link
 * dev.mailcore.smtp.internal.TransactionResult} tells per recipient what happened and whether a
 * retry is safe.
 */
package dev.mailcore.smtp.internal;
