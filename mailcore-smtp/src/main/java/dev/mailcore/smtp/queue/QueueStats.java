package dev.mailcore.smtp.queue;

/**
 * Counts over the queue at one moment: messages, and recipients per state.
 *
 * <p>Immutable and thread-safe.
 *
 * @param entries queued messages
 * @param pending recipients not yet tried
 * @param deferred recipients waiting for a retry
 * @param delivered recipients delivered, of messages still queued for others
 * @param failed recipients failed, of messages still queued for others
 * @param inFlight messages with a delivery attempt running now
 * @since 0.1
 */
public record QueueStats(
    int entries, int pending, int deferred, int delivered, int failed, int inFlight) {

  static QueueStats of(Iterable<QueueEntry> entries, int inFlight) {
    int n = 0;
    int[] counts = new int[RecipientState.Status.values().length];
    for (QueueEntry e : entries) {
      n++;
      for (RecipientState r : e.recipients()) {
        counts[r.status().ordinal()]++;
      }
    }
    return new QueueStats(
        n,
        counts[RecipientState.Status.PENDING.ordinal()],
        counts[RecipientState.Status.DEFERRED.ordinal()],
        counts[RecipientState.Status.DELIVERED.ordinal()],
        counts[RecipientState.Status.FAILED.ordinal()],
        inFlight);
  }

  /** Returns true when nothing is queued. */
  public boolean isEmpty() {
    return entries == 0;
  }
}
