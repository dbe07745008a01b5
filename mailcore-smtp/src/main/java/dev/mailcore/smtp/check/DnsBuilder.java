package dev.mailcore.smtp.check;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * The DNS settings the checkers' builders share: server, time-out and clock.
 *
 * @param <B> the concrete builder, returned by each method for chaining
 */
abstract class DnsBuilder<B extends DnsBuilder<B>> {
  private InetSocketAddress server;
  private Duration timeout = Duration.ofSeconds(3);
  private Clock clock = Clock.systemUTC();

  abstract B self();

  /**
   * Sets the DNS server (a recursive resolver of your own) and its port; by default the system's
   * first configured server.
   */
  public B dnsServer(InetSocketAddress server) {
    this.server = Objects.requireNonNull(server, "server");
    return self();
  }

  /**
   * Sets how long to wait for each DNS answer (default 3 seconds); a query without answer by
   * then counts as a DNS failure, never as an empty answer.
   *
   * @throws IllegalArgumentException when not positive
   */
  public B timeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    this.timeout = timeout;
    return self();
  }

  /** Sets the clock that ages cached answers (default the system UTC clock). */
  public B clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return self();
  }

  DnsClient newDnsClient() {
    return new DnsClient(DnsClient.systemServerIfUnset(server), timeout, clock);
  }
}
