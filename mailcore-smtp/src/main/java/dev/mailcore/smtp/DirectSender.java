package dev.mailcore.smtp;

import dev.mailcore.DeliveryStatus;
import dev.mailcore.EnhancedStatus;
import dev.mailcore.Envelope;
import dev.mailcore.MailCommandException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailSender;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.ServerReply;
import dev.mailcore.TlsMode;
import dev.mailcore.internal.AddressParser;
import dev.mailcore.smtp.dkim.MessageSigner;
import dev.mailcore.smtp.internal.Destination;
import dev.mailcore.smtp.internal.EncryptOnlyTls;
import dev.mailcore.smtp.internal.MessageSource;
import dev.mailcore.smtp.internal.Router;
import dev.mailcore.smtp.internal.SessionSettings;
import dev.mailcore.smtp.internal.SignedRendering;
import dev.mailcore.smtp.internal.SmtpSession;
import dev.mailcore.smtp.internal.SmtpTransaction;
import dev.mailcore.smtp.internal.TransactionResult;
import dev.mailcore.smtp.mx.DnsMxResolver;
import dev.mailcore.smtp.mx.MxResolver;
import dev.mailcore.smtp.mx.StaticRoutes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers messages straight to each recipient domain's own mail servers, as an MTA does: one
 * synchronous delivery attempt per call, which a queue repeats for what was deferred.
 *
 * <p>Recipients are grouped by domain; each domain gets its own transaction (several when it has
 * more recipients than {@link Builder#maxRecipientsPerTransaction}). Where a domain's mail goes is
 * decided by {@link StaticRoutes} first, then by MX lookup through the {@link MxResolver}: hosts in
 * preference order, each address of a host in turn. A refused connection, a time-out, a 4xx or 5xx
 * greeting, a refused EHLO or STARTTLS, or a failed TLS handshake moves on to the next address and
 * host (with unverified opportunistic TLS, a failed handshake is first tried again on the same
 * address without TLS), up to {@link Builder#maxHosts} hosts. A server's acceptance and its 5xx
 * replies are final for this attempt (a 5xx to RCPT fails that recipient without asking another
 * host); a 4xx to MAIL,
 * RCPT or the data leaves the recipients it concerns to the next host (RFC 5321 §5.1), as MTAs do,
 * and is their outcome when no later host takes them. What no host took is deferred with the last
 * server's 4xx or, when none answered, the last reason.
 *
 * <p>TLS is opportunistic by default ({@link TlsMode#STARTTLS_IF_OFFERED}): used when offered and,
 * like Postfix's {@code may} level (RFC 7435), without rejecting a certificate that does not verify,
 * since most MX hosts present self-signed ones and the only alternative is plain text; {@link
 * Builder#verifyOpportunisticTls} turns verification on for those too (a host whose certificate or
 * handshake fails is then not sent plain text). {@link Builder#requireTls}
 * makes TLS mandatory for a domain, with certificate and host name always checked.
 *
 * <p>Each {@link RecipientResult} names the host that answered and its reply. Outcomes decided
 * without a server (null MX, a domain that does not exist, DNS trouble, no host reachable) carry a
 * reply made up locally, as MTAs do, so the enhanced status is always there ({@code 5.1.10} for a
 * null MX, {@code 5.1.2} for no such domain, {@code 5.4.4} when DNS says no MX host has an address, {@code
 * 4.4.3} for DNS trouble, {@code 4.4.1} when no
 * host answered); their {@code remoteHost} names the last host tried, if any.
 *
 * <pre>{@code
 * try (DirectSender sender = DirectSender.builder().ehloName("mail.shop.example").build()) {
 *   SendResult result = sender.send(message);
 *   result.withStatus(DeliveryStatus.DEFERRED); // for the queue to retry
 * }
 * }</pre>
 *
 * <p>Thread-safe: any number of threads may send at once; each delivery opens its own sessions.
 *
 * @since 0.1
 */
public final class DirectSender implements MailSender {
  private static final Logger log = LoggerFactory.getLogger(DirectSender.class);

  /** RFC 3463: no answer from host. */
  private static final EnhancedStatus NO_ANSWER = new EnhancedStatus(4, 4, 1);

  private final Router router;
  private final int maxRecipients;
  private final int maxHosts;
  private final Map<TlsMode, SessionSettings> settings;
  private final boolean verifyOpportunisticTls;
  private final DeliveryListener listener;
  private final MessageSigner signer;
  private final Clock clock;
  private final Executor executor;
  private final ExecutorService ownExecutor;
  private volatile boolean closed;

  private DirectSender(Builder b) {
    Set<String> required = Set.copyOf(b.tlsRequired);
    TlsMode otherwise = b.tls;
    this.router =
        new Router(
            b.resolver != null ? b.resolver : DnsMxResolver.ofDefaults(),
            b.routes,
            b.mxPort,
            domain ->
                required.contains(domain.toLowerCase(Locale.ROOT)) ? TlsMode.STARTTLS : otherwise);
    this.maxRecipients = b.maxRecipients;
    this.listener = b.listener;
    this.signer = b.signer;
    this.clock = b.clock;
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownExecutor = null;
    } else {
      AtomicInteger n = new AtomicInteger();
      this.ownExecutor =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "mailcore-direct-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      this.executor = ownExecutor;
    }
    this.maxHosts = b.maxHosts;
    this.verifyOpportunisticTls = b.verifyOpportunisticTls;
    this.settings = new EnumMap<>(TlsMode.class);
    for (TlsMode mode : TlsMode.values()) {
      SessionSettings.Builder s =
          SessionSettings.builder()
              .tls(mode)
              .connectTimeout(b.connectTimeout)
              .commandTimeout(b.commandTimeout)
              .dataTimeout(b.dataTimeout);
      if (b.ehloName != null) {
        s.ehloName(b.ehloName);
      }
      if (mode == TlsMode.STARTTLS_IF_OFFERED && !b.verifyOpportunisticTls) {
        s.sslContext(EncryptOnlyTls.context());
      } else if (b.sslContext != null) {
        s.sslContext(b.sslContext);
      }
      settings.put(mode, s.build());
    }
  }

  /** Returns a builder: DNS on the system's servers, port 25, opportunistic TLS. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Delivers {@code message} to the recipients of {@code envelope}, blocking until each has an
   * outcome. The message is rendered for each transaction; to send identical bytes everywhere (as
   * DKIM needs), render it once and use {@link #send(RenderedMessage)}.
   *
   * @throws dev.mailcore.MailFormatException when the message cannot be rendered
   * @throws IllegalStateException when the sender is closed
   * @throws NullPointerException when an argument is null
   */
  @Override
  public SendResult send(Envelope envelope, Message message) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(message, "message");
    if (signer == null) {
      return deliver(
          envelope, MessageSource.of(message), message.needsSmtpUtf8(), message.messageId());
    }
    // rendered and signed once: every domain's transaction streams the same signed bytes
    try (SignedRendering signed = SignedRendering.of(message, signer)) {
      return deliver(
          envelope,
          MessageSource.of(signed.content()),
          message.needsSmtpUtf8(),
          message.messageId());
    }
  }

  /**
   * Delivers a pre-rendered message, such as a queue's stored file, to the recipients of its
   * envelope. Every transaction streams the very same bytes.
   *
   * @throws IllegalStateException when the sender is closed
   * @throws NullPointerException when {@code message} is null
   */
  public SendResult send(RenderedMessage message) {
    Objects.requireNonNull(message, "message");
    return deliver(
        message.envelope(), MessageSource.of(message.content()), false, Optional.empty());
  }

  /**
   * Delivers without blocking, on the sender's executor; the future fails with what {@link
   * #send(Envelope, Message)} would throw.
   *
   * @throws IllegalStateException when the sender is closed
   */
  @Override
  public CompletableFuture<SendResult> sendAsync(Envelope envelope, Message message) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(message, "message");
    checkOpen();
    return CompletableFuture.supplyAsync(() -> send(envelope, message), executor);
  }

  /**
   * Delivers a pre-rendered message without blocking, on the sender's executor.
   *
   * @throws IllegalStateException when the sender is closed
   */
  public CompletableFuture<SendResult> sendAsync(RenderedMessage message) {
    Objects.requireNonNull(message, "message");
    checkOpen();
    return CompletableFuture.supplyAsync(() -> send(message), executor);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("DirectSender is closed");
    }
  }

  private SendResult deliver(
      Envelope envelope, MessageSource source, boolean smtpUtf8, Optional<String> messageId) {
    checkOpen();
    Instant started = clock.instant();
    notify(() -> listener.sendStarted(envelope));
    SendResult result;
    try {
      result = deliverAll(envelope, source, smtpUtf8, messageId);
    } catch (RuntimeException e) {
      notify(() -> listener.sendFailed(envelope, e));
      throw e;
    }
    notify(
        () -> listener.sendFinished(envelope, result, Duration.between(started, clock.instant())));
    return result;
  }

  /** Calls the listener, which must not throw; if it does, the outcome stays as it is. */
  private static void notify(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.warn("a DeliveryListener threw; ignored", e);
    }
  }

  private SendResult deliverAll(
      Envelope envelope, MessageSource source, boolean smtpUtf8, Optional<String> messageId) {
    Map<String, List<Mailbox>> byDomain = new LinkedHashMap<>();
    for (Mailbox r : envelope.recipients()) {
      byDomain
          .computeIfAbsent(r.asciiDomain().toLowerCase(Locale.ROOT), d -> new ArrayList<>())
          .add(r);
    }
    Map<Mailbox, RecipientResult> results = new LinkedHashMap<>();
    for (Map.Entry<String, List<Mailbox>> group : byDomain.entrySet()) {
      for (RecipientResult r :
          deliverDomain(group.getKey(), group.getValue(), envelope, source, smtpUtf8)) {
        results.put(r.recipient(), r);
      }
    }
    List<RecipientResult> ordered = new ArrayList<>();
    for (Mailbox r : envelope.recipients()) {
      RecipientResult result = results.get(r);
      // every path above yields one result per recipient; this guards the engine's contract
      ordered.add(
          result != null
              ? result
              : RecipientResult.ofFailure(r, true, "no outcome was reported for " + r, null));
    }
    return new SendResult(messageId, ordered);
  }

  private List<RecipientResult> deliverDomain(
      String domain,
      List<Mailbox> recipients,
      Envelope envelope,
      MessageSource source,
      boolean smtpUtf8) {
    Router.Decision decision;
    try {
      decision = router.route(domain);
    } catch (MailException e) {
      // a recipient domain that is not a domain name: the recipient fails, the others go on
      return localOutcome(
          recipients, 553, new EnhancedStatus(5, 1, 3), e.getMessage(), Optional.empty());
    }
    if (decision instanceof Router.Unroutable u) {
      log.debug("cannot route {}: {}", domain, u.reason());
      return localOutcome(
          recipients, u.temporary() ? 451 : 550, u.status(), u.reason(), Optional.empty());
    }
    List<Destination> destinations = ((Router.Destinations) decision).destinations();
    List<Envelope> chunks = new ArrayList<>();
    for (int from = 0; from < recipients.size(); from += maxRecipients) {
      chunks.add(
          envelope.withRecipients(
              recipients.subList(from, Math.min(recipients.size(), from + maxRecipients))));
    }
    return transactions(domain, destinations, chunks, source, smtpUtf8);
  }

  /**
   * Opens a session to one address of {@code d}. Opportunistic TLS without certificate checks
   * falls back to plain text on the same address when the TLS handshake fails (RFC 7435 §3: such
   * TLS guards against passive listening only, and an attacker able to break the handshake could
   * as well strip STARTTLS from EHLO), as Postfix does on its next attempt and KumoMTA at once:
   * a server with an old or broken TLS stack would otherwise never get its mail.
   */
  private Opened open(Destination d, InetAddress address, String where) {
    InetSocketAddress to = new InetSocketAddress(address, d.port());
    try {
      return new Opened(SmtpSession.open(to, d.host(), settings.get(d.tls())), false);
    } catch (MailConnectionException e) {
      if (d.tls() != TlsMode.STARTTLS_IF_OFFERED
          || verifyOpportunisticTls
          || !(e.getCause() instanceof SSLException)) {
        throw e;
      }
      log.info(
          "TLS handshake with {} failed ({}); delivering without TLS, as opportunistic TLS allows",
          where,
          e.getMessage());
      try {
        return new Opened(SmtpSession.open(to, d.host(), settings.get(TlsMode.NONE)), true);
      } catch (MailException plain) {
        plain.addSuppressed(e);
        throw plain;
      }
    }
  }

  /** A session, and whether it is the plain-text one after a failed opportunistic handshake. */
  private record Opened(SmtpSession session, boolean withoutTls) {}

  /**
   * On a session without TLS after a failed handshake, a refusal for want of TLS (RFC 3207: 530
   * 5.7.0, "must issue a STARTTLS command first") does not count as the server's final word: the
   * handshake may fail only for now, or at this address only. The recipient is deferred, so the
   * next host is asked and, failing that, the queue tries again later.
   */
  private static RecipientResult withoutTlsOutcome(RecipientResult r) {
    boolean wantsTls =
        r.status() == DeliveryStatus.FAILED
            && (r.replyCode().orElse(0) == 530
                || r.enhancedStatus().map(s -> s.equals(new EnhancedStatus(5, 7, 0))).orElse(false));
    if (!wantsTls) {
      return r;
    }
    return new RecipientResult(
        r.recipient(),
        DeliveryStatus.DEFERRED,
        r.reply(),
        r.diagnostic() + " (sent without TLS after the TLS handshake failed)",
        r.remoteHost());
  }

  /**
   * Tries the destinations in order until servers have answered every transaction. The transactions
   * of one domain share a session, pipelined where the server allows.
   */
  private List<RecipientResult> transactions(
      String domain,
      List<Destination> destinations,
      List<Envelope> chunks,
      MessageSource source,
      boolean smtpUtf8) {
    List<RecipientResult> done = new ArrayList<>();
    List<Envelope> pending = chunks;
    String lastReason = "no host of " + domain + " was tried";
    Optional<ServerReply> lastReply = Optional.empty();
    Optional<String> lastHost = Optional.empty();
    // the latest 4xx a server gave each recipient, reported when no later host takes it
    Map<Mailbox, RecipientResult> lastAnswer = new HashMap<>();
    int hosts = 0;
    hostLoop:
    for (Destination d : destinations) {
      if (hosts++ >= maxHosts) {
        lastReason += "; host limit " + maxHosts + " reached";
        break;
      }
      for (InetAddress address : d.addresses()) {
        String where = d.host() + " [" + address.getHostAddress() + "]:" + d.port();
        lastHost = Optional.of(d.host());
        Opened opened;
        try {
          opened = open(d, address, where);
        } catch (MailCommandException e) {
          log.debug("{} refused the session for {}: {}", where, domain, e.reply());
          lastReason = where + " refused the session: " + e.reply();
          lastReply = Optional.of(e.reply());
          continue;
        } catch (MailException e) {
          log.debug("cannot open a session to {} for {}: {}", where, domain, e.getMessage());
          lastReason = "cannot deliver to " + where + ": " + e.getMessage();
          lastReply = Optional.empty();
          continue;
        }
        List<TransactionResult> results;
        try (SmtpSession session = opened.session()) {
          List<SmtpTransaction> batch = new ArrayList<>();
          for (Envelope e : pending) {
            batch.add(new SmtpTransaction(e, source, smtpUtf8 || e.needsSmtpUtf8()));
          }
          results = session.send(batch);
        }
        List<Envelope> again = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
          TransactionResult r = results.get(i);
          if (!r.isCompleted() && !r.isRetrySafe()) {
            // the server may have taken the data without confirming: final for this attempt
            done.addAll(r.recipients());
            continue;
          }
          // delivered and 5xx are final; a 4xx (to MAIL, RCPT or the data) and what a lost
          // connection left unanswered go to the next host (RFC 5321 §5.1: try the addresses
          // until delivery succeeds), as MTAs do; the last 4xx stays the answer if none takes it
          List<Mailbox> retry = new ArrayList<>();
          for (RecipientResult answer : r.recipients()) {
            RecipientResult rr = opened.withoutTls() ? withoutTlsOutcome(answer) : answer;
            if (rr.status() == DeliveryStatus.DEFERRED) {
              retry.add(rr.recipient());
              if (rr.reply().isPresent() && rr.remoteHost().isPresent()) {
                lastAnswer.put(rr.recipient(), rr);
              }
            } else {
              done.add(rr);
            }
          }
          if (!retry.isEmpty()) {
            again.add(pending.get(i).withRecipients(retry));
          }
          if (!r.isCompleted()) {
            lastReason =
                "transaction to "
                    + where
                    + " cut short: "
                    + r.failure().map(Throwable::getMessage).orElse("connection lost");
            lastReply = Optional.empty();
          }
        }
        pending = again;
        if (pending.isEmpty()) {
          break hostLoop;
        }
        log.debug(
            "{} transaction(s) for {} cut short at {}, trying the next host",
            pending.size(),
            domain,
            where);
      }
    }
    for (Envelope e : pending) {
      for (Mailbox r : e.recipients()) {
        RecipientResult answered = lastAnswer.get(r);
        if (answered != null) {
          done.add(answered);
          continue;
        }
        String reason = lastReason;
        ServerReply shown =
            lastReply.orElseGet(
                () -> new ServerReply(451, Optional.of(NO_ANSWER), List.of(reason)));
        done.add(
            new RecipientResult(r, DeliveryStatus.DEFERRED, Optional.of(shown), reason, lastHost));
      }
    }
    return done;
  }

  private static List<RecipientResult> localOutcome(
      List<Mailbox> recipients,
      int code,
      EnhancedStatus status,
      String reason,
      Optional<String> host) {
    ServerReply reply = new ServerReply(code, Optional.of(status), List.of(reason));
    List<RecipientResult> out = new ArrayList<>();
    for (Mailbox r : recipients) {
      out.add(
          new RecipientResult(
              r,
              reply.isTransient() ? DeliveryStatus.DEFERRED : DeliveryStatus.FAILED,
              Optional.of(reply),
              reason,
              host));
    }
    return out;
  }

  /**
   * Stops accepting sends; deliveries in flight finish, and the sender's own threads end when they
   * have. An executor given to the builder is left running. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    if (ownExecutor != null) {
      ownExecutor.shutdown();
    }
  }

  /**
   * Configures a {@link DirectSender}.
   *
   * <p>Not thread-safe; build on one thread.
   */
  public static final class Builder {
    private MxResolver resolver;
    private StaticRoutes routes = StaticRoutes.none();
    private int mxPort = 25;
    private TlsMode tls = TlsMode.STARTTLS_IF_OFFERED;
    private final Set<String> tlsRequired = new HashSet<>();
    private int maxRecipients = 50;
    private int maxHosts = 5;
    private boolean verifyOpportunisticTls;
    private Duration connectTimeout = Duration.ofSeconds(30);
    private Duration commandTimeout = Duration.ofMinutes(5);
    private Duration dataTimeout = Duration.ofMinutes(10);
    private String ehloName;
    private SSLContext sslContext;
    private DeliveryListener listener = DeliveryListener.NONE;
    private MessageSigner signer;
    private Clock clock = Clock.systemUTC();
    private Executor executor;

    private Builder() {}

    /**
     * Signs every message (DKIM, {@link dev.mailcore.smtp.dkim.DkimSigner}) once, when it is
     * rendered; all its transactions send the signed bytes. Pre-rendered messages ({@link
     * RenderedMessage}) are sent as they are: sign them when rendering.
     */
    public Builder signer(MessageSigner signer) {
      this.signer = Objects.requireNonNull(signer, "signer");
      return this;
    }

    /** Sets the listener that hears of each send; none by default. */
    public Builder listener(DeliveryListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Sets the clock for the elapsed times the listener hears; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets where {@code sendAsync} runs deliveries; by default the sender's own daemon threads, one
     * per delivery in flight, ended by {@link DirectSender#close()}.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Sets the MX resolver; a {@link DnsMxResolver} on the system's DNS servers by default. */
    public Builder resolver(MxResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /** Sets static routes and the default relay, which override MX lookup. */
    public Builder routes(StaticRoutes routes) {
      this.routes = Objects.requireNonNull(routes, "routes");
      return this;
    }

    /**
     * Sets the port of MX hosts (and of routes without their own); 25 by default.
     *
     * @throws IllegalArgumentException when out of 1..65535
     */
    public Builder mxPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range 1..65535: " + port);
      }
      this.mxPort = port;
      return this;
    }

    /**
     * Sets the TLS mode for domains without their own: {@link TlsMode#STARTTLS_IF_OFFERED} by
     * default; {@link TlsMode#NONE} only for tests and closed networks.
     */
    public Builder tls(TlsMode mode) {
      this.tls = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Requires STARTTLS for mail to {@code domain}: a host that does not offer it, or whose
     * certificate does not verify, is skipped.
     *
     * @param domain the recipient domain, Unicode or ASCII
     */
    public Builder requireTls(String domain) {
      Objects.requireNonNull(domain, "domain");
      tlsRequired.add(AddressParser.toAsciiDomain(domain).toLowerCase(Locale.ROOT));
      return this;
    }

    /**
     * Sets the most recipients in one transaction; more are split into several. 50 by default.
     *
     * @throws IllegalArgumentException when less than 1
     */
    public Builder maxRecipientsPerTransaction(int max) {
      if (max < 1) {
        throw new IllegalArgumentException(
            "maxRecipientsPerTransaction must be at least 1: " + max);
      }
      this.maxRecipients = max;
      return this;
    }

    /**
     * Sets how many hosts one transaction tries before deferring; 5 by default.
     *
     * @throws IllegalArgumentException when less than 1
     */
    public Builder maxHosts(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxHosts must be at least 1: " + max);
      }
      this.maxHosts = max;
      return this;
    }

    /** Sets the connect time-out per address; 30 seconds by default. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** Sets the time-out for each command's reply; 5 minutes by default (RFC 5321 §4.5.3.2). */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive(timeout, "commandTimeout");
      return this;
    }

    /** Sets the time-out for the reply to the end of the data; 10 minutes by default. */
    public Builder dataTimeout(Duration timeout) {
      this.dataTimeout = positive(timeout, "dataTimeout");
      return this;
    }

    /** Sets the name sent in EHLO; by default the local host's name. */
    public Builder ehloName(String name) {
      this.ehloName = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * Checks certificates and host names on opportunistic STARTTLS too (default false: encrypt
     * without authentication, as MTAs do). With it, a host whose certificate does not verify is
     * treated like a failed handshake: the next host is tried.
     */
    public Builder verifyOpportunisticTls(boolean verify) {
      this.verifyOpportunisticTls = verify;
      return this;
    }

    /**
     * Sets the TLS context (trust store) for STARTTLS where certificates are verified: domains
     * with {@link #requireTls} and, with {@link #verifyOpportunisticTls}, every domain. The JDK
     * default by default.
     */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "context");
      return this;
    }

    /** Builds the sender. */
    public DirectSender build() {
      return new DirectSender(this);
    }

    private static Duration positive(Duration d, String name) {
      if (Objects.requireNonNull(d, name).isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
