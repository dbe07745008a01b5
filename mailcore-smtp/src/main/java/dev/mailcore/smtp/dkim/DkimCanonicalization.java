package dev.mailcore.smtp.dkim;

/**
 * How a DKIM signer prepares header fields or the body before hashing (RFC 6376 §3.4). The header
 * and the body each have their own choice; {@link #RELAXED} for both is the usual setting, since
 * it survives the re-folding and whitespace changes that relays make.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public enum DkimCanonicalization {
  /** Tolerates no change at all apart from empty lines added at the end of the body. */
  SIMPLE,
  /** Tolerates case of header names, re-folding and changes in runs of whitespace. */
  RELAXED;

  /** Returns the name used in the {@code c=} tag: {@code simple} or {@code relaxed}. */
  public String tagValue() {
    return this == SIMPLE ? "simple" : "relaxed";
  }
}
