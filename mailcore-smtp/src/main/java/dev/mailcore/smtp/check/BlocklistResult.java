package dev.mailcore.smtp.check;

import java.util.List;
import java.util.Objects;

/**
 * What one DNS blocklist said about one address or domain.
 *
 * <p>Immutable and thread-safe.
 *
 * @param list the list's DNS zone, such as {@code zen.spamhaus.org}
 * @param query the name that was asked, such as {@code 2.0.0.127.zen.spamhaus.org}
 * @param status listed, not listed or unknown
 * @param returnCodes the A records of a listing, such as {@code 127.0.0.2}; empty otherwise
 * @param reasons the list's TXT texts for a listing (often a URL explaining it); may be empty
 * @param detail a plain-language account of the answer, such as why it is unknown
 * @since 0.1
 */
public record BlocklistResult(
    String list,
    String query,
    BlocklistStatus status,
    List<String> returnCodes,
    List<String> reasons,
    String detail) {

  /** Validates and copies the lists. */
  public BlocklistResult {
    Objects.requireNonNull(list, "list");
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(status, "status");
    returnCodes = List.copyOf(returnCodes);
    reasons = List.copyOf(reasons);
    Objects.requireNonNull(detail, "detail");
  }

  /** Returns true when the list lists the address or domain. */
  public boolean isListed() {
    return status == BlocklistStatus.LISTED;
  }
}
