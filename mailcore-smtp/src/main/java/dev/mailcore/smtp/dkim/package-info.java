/**
 * DKIM signing (RFC 6376, RFC 8463): {@link dev.mailcore.smtp.dkim.DkimSigner}, the {@link
 * dev.mailcore.smtp.dkim.MessageSigner} extension point it implements, and key handling in
 * {@link dev.mailcore.smtp.dkim.DkimKeys}.
 */
package dev.mailcore.smtp.dkim;
