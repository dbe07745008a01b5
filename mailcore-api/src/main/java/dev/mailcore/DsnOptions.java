package dev.mailcore;

import dev.mailcore.internal.HeaderChecks;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Delivery status notification requests for SMTP (RFC 3461): when to notify ({@code NOTIFY}),
 * how much of the message to return ({@code RET}) and an envelope identifier ({@code ENVID}).
 * Sent only to servers that offer DSN.
 *
 * <p>Immutable and thread-safe.
 *
 * @param notifyOn when to notify; empty leaves it to the server
 * @param ret how much to return in a failure notice
 * @param envelopeId an identifier the notice will carry, printable ASCII
 * @since 0.1
 */
public record DsnOptions(Set<Notify> notifyOn, Optional<Ret> ret, Optional<String> envelopeId) {

  /** When to send a notification. */
  public enum Notify {
    /** On successful delivery. */
    SUCCESS,
    /** On failure. */
    FAILURE,
    /** On delay. */
    DELAY,
    /** Never; excludes the others. */
    NEVER
  }

  /** How much of the message a failure notice returns. */
  public enum Ret {
    /** The whole message. */
    FULL,
    /** Only the headers. */
    HDRS
  }

  /** Longest ENVID (RFC 3461 §4.4). */
  private static final int MAX_ENVELOPE_ID = 100;

  private static final DsnOptions NONE = new DsnOptions(Set.of(), Optional.empty(), Optional.empty());

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException when NEVER is combined with another value
   * @throws MailFormatException when the envelope id is not printable ASCII or is longer than
   *     100 characters
   * @throws NullPointerException when an argument is null
   */
  public DsnOptions {
    Objects.requireNonNull(notifyOn, "notifyOn");
    notifyOn = notifyOn.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(notifyOn));
    if (notifyOn.contains(Notify.NEVER) && notifyOn.size() > 1) {
      throw new IllegalArgumentException("NOTIFY=NEVER excludes SUCCESS, FAILURE and DELAY");
    }
    Objects.requireNonNull(ret, "ret");
    Objects.requireNonNull(envelopeId, "envelopeId");
    envelopeId.ifPresent(
        id -> {
          HeaderChecks.checkValue("ENVID", id);
          if (id.length() > MAX_ENVELOPE_ID) {
            throw new MailFormatException(
                "ENVID is longer than the " + MAX_ENVELOPE_ID + " characters RFC 3461 allows",
                MAX_ENVELOPE_ID);
          }
          for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) < 33 || id.charAt(i) > 126) {
              throw new MailFormatException("ENVID must be printable ASCII without spaces", i);
            }
          }
        });
  }

  /** Returns options that request nothing. */
  public static DsnOptions none() {
    return NONE;
  }

  /** Returns options with the given NOTIFY values. */
  public static DsnOptions notifyOn(Notify first, Notify... rest) {
    return new DsnOptions(EnumSet.of(first, rest), Optional.empty(), Optional.empty());
  }

  /** Returns a copy with RET set. */
  public DsnOptions withRet(Ret value) {
    return new DsnOptions(notifyOn, Optional.of(value), envelopeId);
  }

  /** Returns a copy with ENVID set. */
  public DsnOptions withEnvelopeId(String id) {
    return new DsnOptions(notifyOn, ret, Optional.of(id));
  }

  /** Returns true when nothing is requested. */
  public boolean isEmpty() {
    return notifyOn.isEmpty() && ret.isEmpty() && envelopeId.isEmpty();
  }
}
