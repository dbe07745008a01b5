package dev.mailcore.smtp.check;

import java.util.Objects;

/**
 * One finding of a {@link Preflight} check.
 *
 * <p>Immutable and thread-safe.
 *
 * @param severity how much it matters
 * @param check what was checked: {@code SPF}, {@code DMARC}, {@code DKIM s1} or {@code BLOCKLIST}
 * @param summary what was found, in plain language
 * @param fix what to do about it, such as the exact DNS record to publish; empty when nothing
 * @since 0.1
 */
public record PreflightFinding(Severity severity, String check, String summary, String fix) {

  /** Validates. */
  public PreflightFinding {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(check, "check");
    Objects.requireNonNull(summary, "summary");
    Objects.requireNonNull(fix, "fix");
  }

  /** Returns {@code [ERROR] SPF: summary -> fix}. */
  @Override
  public String toString() {
    return "[" + severity + "] " + check + ": " + summary + (fix.isEmpty() ? "" : "\n    fix: " + fix);
  }
}
