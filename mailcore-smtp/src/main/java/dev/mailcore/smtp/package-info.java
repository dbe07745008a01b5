/**
 * Sending mail over SMTP with mailcore's own protocol engine: {@link dev.mailcore.smtp.SmtpRelay}
 * sends through a submission server with a pool of pipelined, streaming sessions; {@link
 * dev.mailcore.smtp.DeliveryListener} hears of each message.
 *
 * @since 0.1
 */
package dev.mailcore.smtp;
