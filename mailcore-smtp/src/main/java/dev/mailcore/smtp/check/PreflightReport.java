package dev.mailcore.smtp.check;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The findings of a {@link Preflight} check for one sending domain, in the order checked: SPF,
 * DMARC, DKIM per selector, blocklists.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class PreflightReport {
  private final String domain;
  private final List<PreflightFinding> findings;
  private final SpfEvaluation spf;

  PreflightReport(String domain, List<PreflightFinding> findings, SpfEvaluation spf) {
    this.domain = Objects.requireNonNull(domain, "domain");
    this.findings = List.copyOf(findings);
    this.spf = spf;
  }

  /** Returns the sending domain checked. */
  public String domain() {
    return domain;
  }

  /** Returns every finding, the fine ones included. */
  public List<PreflightFinding> findings() {
    return findings;
  }

  /** Returns the SPF evaluation, when a sending address was given. */
  public Optional<SpfEvaluation> spf() {
    return Optional.ofNullable(spf);
  }

  /** Returns the most severe finding's severity; {@link Severity#OK} when there are none. */
  public Severity worst() {
    return findings.stream()
        .map(PreflightFinding::severity)
        .max(Comparator.naturalOrder())
        .orElse(Severity.OK);
  }

  /** Returns true when a finding is an {@link Severity#ERROR}. */
  public boolean hasErrors() {
    return worst() == Severity.ERROR;
  }

  /** Returns the findings of at least {@code severity}. */
  public List<PreflightFinding> atLeast(Severity severity) {
    Objects.requireNonNull(severity, "severity");
    return findings.stream().filter(f -> f.severity().compareTo(severity) >= 0).toList();
  }

  /** Returns the report as text, one finding per line with its fix below, for logs and demos. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("Preflight for ").append(domain).append(": ").append(worst());
    findings.forEach(f -> s.append("\n  ").append(f.toString().replace("\n", "\n  ")));
    return s.toString();
  }
}
