/**
 * A durable delivery queue: {@link dev.mailcore.smtp.queue.MailQueue} accepts a message only once
 * it is on disk, then delivers it through a {@link dev.mailcore.smtp.queue.QueueTransport} (a
 * relay, direct MX delivery, a router), retries temporary failures on a {@link
 * dev.mailcore.smtp.queue.RetryPolicy}, limits sessions and rates per domain ({@link
 * dev.mailcore.smtp.queue.RateLimit}), and returns an RFC 3464 report to the sender for recipients
 * that failed. Storage sits behind {@link dev.mailcore.smtp.queue.QueueStore}: {@link
 * dev.mailcore.smtp.queue.FileQueueStore} (a journal in a directory, the embedded default) and
 * {@link dev.mailcore.smtp.queue.InMemoryQueueStore} (tests).
 *
 * <pre>{@code
 * try (SmtpRelay relay = SmtpRelay.builder().host("smtp.example.com").credentials(creds).build();
 *     MailQueue queue = MailQueue.builder()
 *         .store(FileQueueStore.open(Path.of("spool")))
 *         .transport(QueueTransport.relay(relay))
 *         .domainRateLimit(RateLimit.perDay(100))
 *         .listener(new QueueListener() {
 *           public void bounced(QueueEntry e, List<RecipientState> failed, Optional<QueueId> dsn) {
 *             log.warn("{} failed for {}", e.id(), failed);
 *           }
 *         })
 *         .build()) {
 *   queue.enqueue(Envelope.of(message), message);
 * }
 * }</pre>
 */
package dev.mailcore.smtp.queue;
