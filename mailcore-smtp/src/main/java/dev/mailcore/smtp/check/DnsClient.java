package dev.mailcore.smtp.check;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Asks one DNS server through its own dnsjava {@link SimpleResolver} (never dnsjava's global
 * {@code Lookup} state) and caches answers by TTL on an injected clock. Failures (time-out,
 * SERVFAIL, REFUSED) are answers of their own kind and never cached, so they are asked again.
 *
 * <p>Thread-safe.
 */
final class DnsClient {
  private static final Logger log = LoggerFactory.getLogger(DnsClient.class);
  private static final Duration MAX_TTL = Duration.ofDays(1);
  private static final int MAX_ENTRIES = 10_000;

  /** What a query found. */
  enum Kind {
    RECORDS,
    NO_DATA,
    NX_DOMAIN,
    FAILED
  }

  /** The answer to one query; {@code records} hold only the asked type. */
  record Answer(Kind kind, List<Record> records, String detail) {
    boolean isVoid() {
      return kind == Kind.NO_DATA || kind == Kind.NX_DOMAIN;
    }
  }

  private record Key(Name name, int type) {}

  private record Entry(Answer answer, Instant expires) {}

  private final SimpleResolver resolver;
  private final InetSocketAddress server;
  private final Duration timeout;
  private final Clock clock;
  private final Map<Key, Entry> cache = new ConcurrentHashMap<>();

  DnsClient(InetSocketAddress server, Duration timeout, Clock clock) {
    this.server = server;
    this.timeout = timeout;
    this.clock = clock;
    this.resolver = new SimpleResolver(server);
    resolver.setTimeout(timeout);
  }

  /** The given server, else the system's first, else loopback port 53. */
  static InetSocketAddress systemServerIfUnset(InetSocketAddress server) {
    if (server != null) {
      return server;
    }
    List<InetSocketAddress> system = ResolverConfig.getCurrentConfig().servers();
    return system.isEmpty() ? new InetSocketAddress(InetAddress.getLoopbackAddress(), 53) : system.get(0);
  }

  InetSocketAddress server() {
    return server;
  }

  Duration timeout() {
    return timeout;
  }

  /** Answers from the cache or asks the server; the future never completes exceptionally. */
  CompletableFuture<Answer> query(Name name, int type) {
    Key key = new Key(name, type);
    Instant now = clock.instant();
    Entry cached = cache.get(key);
    if (cached != null && now.isBefore(cached.expires())) {
      return CompletableFuture.completedFuture(cached.answer());
    }
    String what = name + "/" + Type.string(type);
    Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
    return resolver
        .sendAsync(query)
        .toCompletableFuture()
        .handle(
            (response, error) -> {
              if (error != null) {
                Throwable cause =
                    error instanceof CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
                String detail =
                    cause instanceof SocketTimeoutException || cause instanceof TimeoutException
                        ? "no answer from " + server + " within " + timeout
                        : "query failed: " + cause;
                log.debug("DNS {} -> {}", what, detail);
                return new Answer(Kind.FAILED, List.of(), detail);
              }
              Answer answer = toAnswer(response, type);
              log.debug("DNS {} -> {} {}", what, answer.kind(), answer.records());
              Duration ttl = ttl(answer, response);
              if (answer.kind() != Kind.FAILED && !ttl.isZero()) {
                if (cache.size() >= MAX_ENTRIES) {
                  cache.clear(); // crude bound; entries are cheap to ask again
                }
                cache.put(key, new Entry(answer, now.plus(ttl)));
              }
              return answer;
            });
  }

  private static Answer toAnswer(Message response, int type) {
    int rcode = response.getRcode();
    if (rcode == Rcode.NXDOMAIN) {
      return new Answer(Kind.NX_DOMAIN, List.of(), "NXDOMAIN");
    }
    if (rcode != Rcode.NOERROR) {
      return new Answer(Kind.FAILED, List.of(), "server answered " + Rcode.string(rcode));
    }
    List<Record> records =
        response.getSection(Section.ANSWER).stream().filter(r -> r.getType() == type).toList();
    return records.isEmpty()
        ? new Answer(Kind.NO_DATA, List.of(), "no " + Type.string(type) + " record")
        : new Answer(Kind.RECORDS, records, Type.string(type) + " records");
  }

  /** Positive: the least record TTL; negative: RFC 2308 §5, the lesser of SOA TTL and MINIMUM. */
  private static Duration ttl(Answer answer, Message response) {
    long seconds = 0;
    if (answer.kind() == Kind.RECORDS) {
      seconds = answer.records().stream().mapToLong(Record::getTTL).min().orElse(0);
    } else if (answer.isVoid()) {
      for (Record r : response.getSection(Section.AUTHORITY)) {
        if (r instanceof SOARecord soa) {
          seconds = Math.min(soa.getTTL(), soa.getMinimum());
        }
      }
    }
    Duration ttl = Duration.ofSeconds(seconds);
    return ttl.compareTo(MAX_TTL) > 0 ? MAX_TTL : ttl;
  }
}
