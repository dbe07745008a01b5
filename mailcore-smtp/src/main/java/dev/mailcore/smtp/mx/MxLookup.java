package dev.mailcore.smtp.mx;

import java.util.List;
import java.util.Objects;

/**
 * The answer to "where does mail for this domain go": the hosts to try, or why there are none.
 *
 * <p>{@link Hosts} lists the mail exchangers in the order to try them. {@link NullMx}, {@link
 * NoSuchDomain} and {@link NoMailHost} are permanent: mail for the domain cannot be delivered and
 * must bounce. {@link TemporaryFailure} means DNS did not answer usefully this time; try again
 * later.
 *
 * <p>All cases are immutable and thread-safe.
 *
 * @since 0.1
 */
public sealed interface MxLookup {

  /** Returns true when the domain cannot receive mail, so retrying is pointless. */
  default boolean isPermanentFailure() {
    return this instanceof NullMx || this instanceof NoSuchDomain || this instanceof NoMailHost;
  }

  /**
   * The hosts to try, in order: by preference, equal preferences shuffled (RFC 5321 §5.1).
   *
   * @param hosts the hosts, each with at least one address; never empty
   * @param implicit true when the domain has no MX records and its own address records stand in as
   *     one host of preference 0 (RFC 5321 §5.1, "implicit MX")
   */
  record Hosts(List<MxHost> hosts, boolean implicit) implements MxLookup {
    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException when there is no host
     */
    public Hosts {
      hosts = List.copyOf(hosts);
      if (hosts.isEmpty()) {
        throw new IllegalArgumentException("an MX answer needs at least one host");
      }
    }
  }

  /**
   * The domain publishes a null MX ({@code MX 0 .}, RFC 7505): it accepts no mail. Delivery fails
   * permanently with enhanced status {@code 5.1.10} ({@link dev.mailcore.EnhancedStatus#NULL_MX}).
   *
   * @param domain the domain, in ASCII form
   */
  record NullMx(String domain) implements MxLookup {
    /** Validates. */
    public NullMx {
      Objects.requireNonNull(domain, "domain");
    }
  }

  /**
   * The domain does not exist (NXDOMAIN), or it exists with neither MX nor address records: no mail
   * can reach it. Delivery fails permanently ({@code 5.1.2}).
   *
   * @param domain the domain, in ASCII form
   */
  record NoSuchDomain(String domain) implements MxLookup {
    /** Validates. */
    public NoSuchDomain {
      Objects.requireNonNull(domain, "domain");
    }
  }

  /**
   * The domain has MX records, but DNS says of every MX host that it does not exist (NXDOMAIN) or
   * has no address records: no MX is usable, which RFC 5321 §5.1 says must be reported as an
   * error. Delivery fails permanently ({@code 5.4.4}, unable to route), as Postfix does by default.
   * When DNS failed for even one of the hosts, the answer is {@link TemporaryFailure} instead.
   *
   * @param domain the domain, in ASCII form
   * @param reason what each MX host lacks, naming the hosts
   */
  record NoMailHost(String domain, String reason) implements MxLookup {
    /** Validates. */
    public NoMailHost {
      Objects.requireNonNull(domain, "domain");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * DNS gave no usable answer this time: SERVFAIL, a refusal, a time-out, also for the addresses of
   * MX hosts none of which has an address otherwise. Delivery is deferred.
   *
   * @param reason what failed, naming the name and type queried
   */
  record TemporaryFailure(String reason) implements MxLookup {
    /** Validates. */
    public TemporaryFailure {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
