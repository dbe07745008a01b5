/**
 * Deliverability checks a sender runs before sending: DNS blocklist look-ups ({@link
 * dev.mailcore.smtp.check.BlocklistChecker}) and the sending domain's SPF, DMARC and DKIM key
 * records.
 */
package dev.mailcore.smtp.check;
