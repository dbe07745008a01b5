package dev.mailcore.smtp.check;

/**
 * How much a preflight finding matters, from fine to blocking.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public enum Severity {
  /** Set up as receivers expect. */
  OK,
  /** Worth knowing; nothing is wrong. */
  INFO,
  /** Mail is delivered but more of it may land in spam, or the check could not finish. */
  WARNING,
  /** Receivers will reject or junk mail until it is fixed. */
  ERROR
}
