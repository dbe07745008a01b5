package dev.mailcore.smtp.check;

import java.util.List;
import java.util.Objects;

/**
 * The answers of every configured blocklist for one address or domain, in the order the lists
 * were configured.
 *
 * <p>Immutable and thread-safe.
 *
 * @param subject the address or domain checked
 * @param results one result per list
 * @since 0.1
 */
public record BlocklistReport(String subject, List<BlocklistResult> results) {

  /** Validates and copies. */
  public BlocklistReport {
    Objects.requireNonNull(subject, "subject");
    results = List.copyOf(results);
  }

  /** Returns the lists that list the subject. */
  public List<BlocklistResult> listed() {
    return results.stream().filter(BlocklistResult::isListed).toList();
  }

  /** Returns the lists that gave no usable answer; the subject may or may not be on them. */
  public List<BlocklistResult> unknown() {
    return results.stream().filter(r -> r.status() == BlocklistStatus.UNKNOWN).toList();
  }

  /** Returns true when at least one list lists the subject. */
  public boolean isListed() {
    return !listed().isEmpty();
  }

  /** Returns true only when every list answered and none lists the subject. */
  public boolean isClean() {
    return results.stream().allMatch(r -> r.status() == BlocklistStatus.NOT_LISTED);
  }
}
