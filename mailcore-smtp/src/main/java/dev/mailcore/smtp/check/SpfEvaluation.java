package dev.mailcore.smtp.check;

import java.util.Objects;

/**
 * The outcome of an SPF evaluation, with what decided it.
 *
 * <p>Immutable and thread-safe.
 *
 * @param result the result
 * @param domain the domain evaluated
 * @param mechanism the term of the domain's record that decided the result, such as {@code
 *     include:_spf.mail.example} or {@code -all}; empty when none did
 * @param detail a plain-language account, such as the error that made it a permerror
 * @param dnsLookups the look-ups counted against the limit of 10 (RFC 7208 §4.6.4)
 * @param voidLookups the look-ups that found nothing, limited to 2
 * @since 0.1
 */
public record SpfEvaluation(
    SpfResult result,
    String domain,
    String mechanism,
    String detail,
    int dnsLookups,
    int voidLookups) {

  /** Validates. */
  public SpfEvaluation {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(mechanism, "mechanism");
    Objects.requireNonNull(detail, "detail");
  }
}
