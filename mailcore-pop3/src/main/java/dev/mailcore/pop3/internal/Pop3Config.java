package dev.mailcore.pop3.internal;

import dev.mailcore.internal.StoreSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * The frozen configuration of one {@code Pop3Store}.
 *
 * @param settings connection settings shared with IMAP
 * @param deleteAfterDownload whether fetched messages are deleted at QUIT
 * @param fetchBatchSize messages per header batch
 * @param prefetchBodies largest message fetched whole (RETR, no TOP) while listing; 0 for none
 * @param pollInterval watch polling interval
 * @param pipelining whether batches may be read through a pipelined second session
 */
public record Pop3Config(
    StoreSettings settings,
    boolean deleteAfterDownload,
    int fetchBatchSize,
    long prefetchBodies,
    Duration pollInterval,
    boolean pipelining) {
  /** Validates. */
  public Pop3Config {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(pollInterval, "pollInterval");
  }
}
