package dev.mailcore.smtp.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Token buckets for a {@link RateLimit}: one per period (second, day), each holding up to the limit
 * and refilling evenly. Not thread-safe: the queue's dispatch lock guards it.
 */
final class TokenBucket {

  private static final long NANOS_PER_DAY = Duration.ofDays(1).toNanos();
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final Bucket second;
  private final Bucket day;

  private static final class Bucket {
    final double capacity;
    final double perNano;
    double tokens;
    Instant last;

    Bucket(int limit, long periodNanos, Instant now) {
      capacity = limit;
      perNano = limit / (double) periodNanos;
      tokens = limit;
      last = now;
    }

    void refill(Instant now) {
      if (now.isAfter(last)) {
        long nanos = Duration.between(last, now).toNanos();
        tokens = Math.min(capacity, tokens + nanos * perNano);
        last = now;
      }
    }

    Instant whenAvailable(Instant now) {
      double missing = 1.0 - tokens;
      return now.plusNanos((long) Math.ceil(missing / perNano));
    }
  }

  TokenBucket(RateLimit limit, Instant now) {
    second =
        limit.secondLimit().isPresent()
            ? new Bucket(limit.perSecond(), NANOS_PER_SECOND, now)
            : null;
    day = limit.dayLimit().isPresent() ? new Bucket(limit.perDay(), NANOS_PER_DAY, now) : null;
  }

  /** Returns empty when a message may go now, else the earliest instant one may. */
  Optional<Instant> blockedUntil(Instant now) {
    Instant until = null;
    for (Bucket b : new Bucket[] {second, day}) {
      if (b != null) {
        b.refill(now);
        if (b.tokens < 1.0 - 1e-9) {
          Instant t = b.whenAvailable(now);
          until = until == null || t.isAfter(until) ? t : until;
        }
      }
    }
    return Optional.ofNullable(until);
  }

  /** Takes one token from each bucket; call only after {@link #blockedUntil} returned empty. */
  void take() {
    for (Bucket b : new Bucket[] {second, day}) {
      if (b != null) {
        b.tokens = Math.max(0, b.tokens - 1);
      }
    }
  }
}
