package dev.mailcore.smtp;

import dev.mailcore.Credentials;
import dev.mailcore.Envelope;
import dev.mailcore.MailAuthenticationException;
import dev.mailcore.MailCommandException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailFormatException;
import dev.mailcore.MailSender;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.internal.MessageSource;
import dev.mailcore.smtp.internal.SessionPool;
import dev.mailcore.smtp.internal.SessionSettings;
import dev.mailcore.smtp.internal.SmtpSession;
import dev.mailcore.smtp.internal.SmtpTransaction;
import dev.mailcore.smtp.internal.TransactionResult;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends mail through one submission server (the provider's relay), with a pool of reusable
 * sessions on mailcore's own SMTP engine: PIPELINING, CHUNKING and streaming of several messages
 * per session when the server offers them, TLS and AUTH, one outcome per recipient.
 *
 * <p>Thread-safe. Messages from all threads go into one queue served by up to {@link
 * Builder#maxConnections(int)} sessions; a session takes the messages waiting (up to its
 * streaming window) and sends them together, so {@link #sendAll} and many concurrent {@link
 * #sendAsync} calls need few round trips. A session is reused (RSET between messages, NOOP after
 * an idle spell), closed after {@link Builder#maxMessagesPerSession(int)} messages or {@link
 * Builder#idleTimeout(Duration)} unused. A message whose session broke before the server could
 * have accepted it is retried once on a fresh session; one that may have reached the server is
 * never resent automatically (its recipients come back {@code DEFERRED}).
 *
 * <p>Outcomes are values: a refused recipient, an unreachable server or a 4xx greeting give
 * {@code FAILED} or {@code DEFERRED} recipients in the {@link SendResult}. Exceptions are for
 * what needs a configuration fix: refused credentials ({@link MailAuthenticationException}), a
 * TLS failure or missing STARTTLS (permanent {@link MailConnectionException}).
 *
 * <pre>{@code
 * try (SmtpRelay relay = SmtpRelay.builder()
 *     .host("smtp.example.com")
 *     .credentials(Credentials.password("ana@example.com", secret))
 *     .build()) {
 *   SendResult result = relay.send(message);
 *   result.withStatus(DeliveryStatus.FAILED).forEach(r -> log.warn("{}", r));
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class SmtpRelay implements MailSender {
  private static final Logger LOG = LoggerFactory.getLogger(SmtpRelay.class);
  private static final Duration IDLE_SWEEP = Duration.ofSeconds(1);

  private final Builder config;
  private final SessionSettings settings;
  private final SessionPool pool;
  private final ScheduledThreadPoolExecutor watchdog;
  private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
  private final List<Thread> workers = new ArrayList<>();
  private final Object lifecycle = new Object();
  private volatile boolean closed;

  /** One message waiting for a session. */
  private static final class Job {
    final SmtpTransaction transaction;
    final Optional<String> messageId;
    final CompletableFuture<SendResult> future = new CompletableFuture<>();
    Instant started;
    boolean retried;

    Job(SmtpTransaction transaction, Optional<String> messageId) {
      this.transaction = transaction;
      this.messageId = messageId;
    }

    Envelope envelope() {
      return transaction.envelope();
    }
  }

  private static final Job STOP = new Job(null, Optional.empty());

  private SmtpRelay(Builder b) {
    this.config = b;
    this.watchdog = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "mailcore-smtp-watchdog"));
    watchdog.setRemoveOnCancelPolicy(true);
    SessionSettings.Builder s = SessionSettings.builder()
        .tls(b.tls)
        .connectTimeout(b.connectTimeout)
        .commandTimeout(b.commandTimeout)
        .dataTimeout(b.dataTimeout)
        .credentials(Optional.ofNullable(b.credentials))
        .allowPlainTextAuth(b.allowPlainTextAuth)
        .pipelining(b.pipelining)
        .chunking(b.chunking)
        .maxUnacknowledged(b.maxUnacknowledged)
        .watchdog(watchdog);
    if (b.sslContext != null) {
      s.sslContext(b.sslContext);
    }
    if (b.ehloName != null) {
      s.ehloName(b.ehloName);
    }
    if (b.localAddress != null) {
      s.localAddress(b.localAddress);
    }
    this.settings = s.build();
    Duration healthTimeout =
        b.commandTimeout.compareTo(Duration.ofSeconds(10)) < 0 ? b.commandTimeout : Duration.ofSeconds(10);
    this.pool = new SessionPool(
        this::openSession,
        new SessionPool.Limits(b.maxConnections, b.maxMessagesPerSession, b.idleTimeout, b.healthCheckAfterIdle),
        b.clock,
        healthTimeout);
    for (int i = 0; i < b.maxConnections; i++) {
      Thread t = daemon(this::work, "mailcore-smtp-relay-" + b.host + "-" + (i + 1));
      workers.add(t);
      t.start();
    }
  }

  /** Returns a builder; {@link Builder#host(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder with this relay's settings. */
  public Builder toBuilder() {
    return config.copy();
  }

  /**
   * Sends {@code message}, rendered while it is sent, to the recipients of {@code envelope},
   * blocking until each recipient has an outcome.
   *
   * @throws MailFormatException when the message needs SMTPUTF8 and the server does not offer it,
   *     or the message cannot be rendered
   * @throws MailAuthenticationException when the server refuses the credentials, or AUTH would
   *     go over an unencrypted connection that was not explicitly allowed
   * @throws MailConnectionException (permanent) when TLS fails or STARTTLS is required but missing
   * @throws IllegalStateException when the relay is closed
   */
  @Override
  public SendResult send(Envelope envelope, Message message) {
    return join(sendAsync(envelope, message));
  }

  /**
   * Sends a pre-rendered message; otherwise like {@link #send(Envelope, Message)}.
   *
   * @throws MailFormatException when the envelope needs SMTPUTF8 and the server does not offer it
   * @throws MailAuthenticationException when the server refuses the credentials
   * @throws MailConnectionException (permanent) when TLS fails
   * @throws IllegalStateException when the relay is closed
   */
  public SendResult send(RenderedMessage message) {
    return join(sendAsync(message));
  }

  /**
   * Sends without blocking, on the relay's own threads; the future fails with the exceptions
   * {@link #send(Envelope, Message)} documents.
   *
   * @throws IllegalStateException when the relay is closed
   */
  @Override
  public CompletableFuture<SendResult> sendAsync(Envelope envelope, Message message) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(message, "message");
    return submit(new Job(SmtpTransaction.of(envelope, message), message.messageId()));
  }

  /**
   * Sends a pre-rendered message without blocking.
   *
   * @throws IllegalStateException when the relay is closed
   */
  public CompletableFuture<SendResult> sendAsync(RenderedMessage message) {
    Objects.requireNonNull(message, "message");
    return submit(new Job(
        SmtpTransaction.of(message.envelope(), MessageSource.of(message.content())), Optional.empty()));
  }

  /**
   * Sends many messages, each to the envelope it derives ({@link Envelope#of(Message)}), over at
   * most {@link Builder#maxConnections(int)} sessions at once, streaming them where the server
   * allows; blocks until all have outcomes.
   *
   * @return one result per message, in the order given
   * @throws MailAuthenticationException when the server refuses the credentials (the other
   *     exceptions of {@link #send(Envelope, Message)} likewise)
   * @throws IllegalStateException when the relay is closed
   */
  public List<SendResult> sendAll(Collection<Message> messages) {
    List<CompletableFuture<SendResult>> futures = new ArrayList<>(messages.size());
    for (Message m : messages) {
      futures.add(sendAsync(Envelope.of(m), m));
    }
    return joinAll(futures);
  }

  /**
   * Sends many pre-rendered messages; otherwise like {@link #sendAll(Collection)}.
   *
   * @return one result per message, in the order given
   * @throws IllegalStateException when the relay is closed
   */
  public List<SendResult> sendAllRendered(Collection<RenderedMessage> messages) {
    List<CompletableFuture<SendResult>> futures = new ArrayList<>(messages.size());
    for (RenderedMessage m : messages) {
      futures.add(sendAsync(m));
    }
    return joinAll(futures);
  }

  /** Returns the number of connections open now, idle or in use. */
  public int openConnections() {
    return pool.openCount();
  }

  /**
   * Stops taking messages, lets those already submitted finish, then ends every session with
   * QUIT. Idempotent; blocks until done.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(STOP);
    }
    for (Thread t : workers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    pool.close();
    watchdog.shutdownNow();
  }

  // ---------------------------------------------------------------- machinery

  private CompletableFuture<SendResult> submit(Job job) {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the relay to " + config.host + " is closed");
      }
      queue.add(job);
    }
    return job.future;
  }

  private SmtpSession openSession() {
    InetSocketAddress address = new InetSocketAddress(config.host, config.port);
    if (address.isUnresolved()) {
      throw new MailConnectionException("cannot resolve the relay host " + config.host, true, null);
    }
    return SmtpSession.open(address, config.host, settings);
  }

  private void work() {
    int batchLimit = config.pipelining && config.maxUnacknowledged > 1 ? config.maxUnacknowledged * 2 : 1;
    while (true) {
      Job first;
      try {
        first = queue.poll(IDLE_SWEEP.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (first == null) {
        pool.evictIdle();
        continue;
      }
      if (first == STOP) {
        queue.add(STOP);
        return;
      }
      List<Job> batch = new ArrayList<>();
      batch.add(first);
      while (batch.size() < batchLimit) {
        Job next = queue.poll();
        if (next == null) {
          break;
        }
        if (next == STOP) {
          queue.add(STOP);
          break;
        }
        batch.add(next);
      }
      try {
        deliver(batch);
      } catch (RuntimeException e) {
        // a bug, not a delivery outcome: fail the affected messages rather than losing them
        LOG.error("unexpected failure while sending through {}", config.host, e);
        for (Job j : batch) {
          fail(j, e);
        }
      }
    }
  }

  private void deliver(List<Job> batch) {
    for (Job j : batch) {
      if (j.started == null) {
        j.started = config.clock.instant();
        notifyStarted(j);
      }
    }
    List<Job> remaining = new ArrayList<>(batch);
    List<Job> retry = new ArrayList<>();
    while (!remaining.isEmpty()) {
      SmtpSession session;
      try {
        session = pool.acquire();
      } catch (MailAuthenticationException e) {
        remaining.forEach(j -> fail(j, e));
        return;
      } catch (MailException e) {
        if (e instanceof MailConnectionException && e.isPermanent()) {
          remaining.forEach(j -> fail(j, e));
        } else {
          remaining.forEach(j -> finish(j, setupFailure(j, e)));
        }
        return;
      }
      List<Job> now = new ArrayList<>();
      long room = Math.max(1, config.maxMessagesPerSession - session.transactionCount());
      while (!remaining.isEmpty() && now.size() < room) {
        Job j = remaining.remove(0);
        if (j.transaction.smtpUtf8() && !session.capabilities().has("SMTPUTF8")) {
          fail(j, new MailFormatException(
              "the message needs SMTPUTF8 (a non-ASCII address), which " + config.host + " does not offer",
              -1));
        } else {
          now.add(j);
        }
      }
      List<TransactionResult> results;
      try {
        results = now.isEmpty() ? List.of() : session.send(now.stream().map(j -> j.transaction).toList());
      } finally {
        pool.release(session);
      }
      for (int i = 0; i < now.size(); i++) {
        Job j = now.get(i);
        TransactionResult r = results.get(i);
        Optional<Exception> failure = r.failure();
        if (failure.isPresent() && isRenderingFailure(failure.get())) {
          // the message itself cannot be written: the caller's problem, reported as thrown
          fail(j, (RuntimeException) failure.get());
        } else if (!r.isCompleted() && r.isRetrySafe() && !j.retried
            && failure.filter(MailException.class::isInstance).isPresent()) {
          j.retried = true;
          retry.add(j);
        } else {
          finish(j, new SendResult(j.messageId, r.recipients()));
        }
      }
      if (remaining.isEmpty() && !retry.isEmpty()) {
        LOG.debug("retrying {} message(s) on a fresh session to {}", retry.size(), config.host);
        remaining.addAll(retry);
        retry.clear();
      }
    }
  }

  private static boolean isRenderingFailure(Exception e) {
    return e instanceof MailFormatException
        || (e instanceof RuntimeException && !(e instanceof MailException));
  }

  private SendResult setupFailure(Job job, MailException e) {
    List<RecipientResult> results = new ArrayList<>();
    for (Mailbox r : job.envelope().recipients()) {
      if (e instanceof MailCommandException c) {
        results.add(RecipientResult.ofReply(r, c.reply(), config.host));
      } else {
        results.add(RecipientResult.ofFailure(r, e.isTemporary(), e.getMessage(), config.host));
      }
    }
    return new SendResult(job.messageId, results);
  }

  private void finish(Job job, SendResult result) {
    try {
      config.listener.sendFinished(job.envelope(), result, Duration.between(job.started, config.clock.instant()));
    } catch (RuntimeException e) {
      LOG.warn("delivery listener failed in sendFinished", e);
    }
    job.future.complete(result);
  }

  private void fail(Job job, RuntimeException e) {
    try {
      config.listener.sendFailed(job.envelope(), e);
    } catch (RuntimeException le) {
      LOG.warn("delivery listener failed in sendFailed", le);
    }
    job.future.completeExceptionally(e);
  }

  private void notifyStarted(Job job) {
    try {
      config.listener.sendStarted(job.envelope());
    } catch (RuntimeException e) {
      LOG.warn("delivery listener failed in sendStarted", e);
    }
  }

  private static SendResult join(CompletableFuture<SendResult> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private static List<SendResult> joinAll(List<CompletableFuture<SendResult>> futures) {
    List<SendResult> results = new ArrayList<>(futures.size());
    for (CompletableFuture<SendResult> f : futures) {
      results.add(join(f));
    }
    return results;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Configures an {@link SmtpRelay}. Defaults: STARTTLS required, port 587 (465 for implicit
   * TLS), certificates checked against the JDK trust store, 4 connections, 100 messages per
   * session, 60 s idle time-out, NOOP check after 5 s idle, PIPELINING, CHUNKING and streaming
   * (16 unacknowledged messages) when offered, connect 30 s, command 5 min, data 10 min.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    private String host;
    private int port = -1;
    private TlsMode tls = TlsMode.STARTTLS;
    private Credentials credentials;
    private boolean allowPlainTextAuth;
    private SSLContext sslContext;
    private String ehloName;
    private InetAddress localAddress;
    private Duration connectTimeout = Duration.ofSeconds(30);
    private Duration commandTimeout = Duration.ofMinutes(5);
    private Duration dataTimeout = Duration.ofMinutes(10);
    private int maxConnections = 4;
    private int maxMessagesPerSession = 100;
    private Duration idleTimeout = Duration.ofSeconds(60);
    private Duration healthCheckAfterIdle = Duration.ofSeconds(5);
    private boolean pipelining = true;
    private boolean chunking = true;
    private int maxUnacknowledged = 16;
    private DeliveryListener listener = DeliveryListener.NONE;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    private Builder copy() {
      Builder b = new Builder();
      b.host = host;
      b.port = port;
      b.tls = tls;
      b.credentials = credentials;
      b.allowPlainTextAuth = allowPlainTextAuth;
      b.sslContext = sslContext;
      b.ehloName = ehloName;
      b.localAddress = localAddress;
      b.connectTimeout = connectTimeout;
      b.commandTimeout = commandTimeout;
      b.dataTimeout = dataTimeout;
      b.maxConnections = maxConnections;
      b.maxMessagesPerSession = maxMessagesPerSession;
      b.idleTimeout = idleTimeout;
      b.healthCheckAfterIdle = healthCheckAfterIdle;
      b.pipelining = pipelining;
      b.chunking = chunking;
      b.maxUnacknowledged = maxUnacknowledged;
      b.listener = listener;
      b.clock = clock;
      return b;
    }

    /** Sets the server's host name (also checked against its certificate). Required. */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host is blank");
      }
      this.host = host;
      return this;
    }

    /** Sets the port; by default 465 for implicit TLS, else 587. */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range 1..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** Sets how the connection is secured; {@link TlsMode#NONE} only when explicitly chosen. */
    public Builder tls(TlsMode mode) {
      this.tls = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Authenticates with these credentials (PLAIN or LOGIN for passwords, XOAUTH2 for tokens). */
    public Builder credentials(Credentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** Allows AUTH over an unencrypted connection; refused by default. */
    public Builder allowPlainTextAuth(boolean allow) {
      this.allowPlainTextAuth = allow;
      return this;
    }

    /** Trusts the certificates {@code trustManager} accepts instead of the JDK trust store. */
    public Builder trustManager(X509TrustManager trustManager) {
      Objects.requireNonNull(trustManager, "trustManager");
      try {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new X509TrustManager[] {trustManager}, null);
        this.sslContext = context;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK cannot create a TLS context", e);
      }
      return this;
    }

    /** Uses {@code context} for TLS (own trust store, client certificate). */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "context");
      return this;
    }

    /** Sets the EHLO name; by default the local address literal. */
    public Builder ehloName(String name) {
      SessionSettings.builder().ehloName(name);
      this.ehloName = name;
      return this;
    }

    /** Binds connections to this local address (a dedicated sending IP). */
    public Builder localAddress(InetAddress address) {
      this.localAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      SessionSettings.builder().connectTimeout(timeout);
      this.connectTimeout = timeout;
      return this;
    }

    /** Sets how long each command's reply may take. */
    public Builder commandTimeout(Duration timeout) {
      SessionSettings.builder().commandTimeout(timeout);
      this.commandTimeout = timeout;
      return this;
    }

    /** Sets how long the reply after the message data may take, and a stalled write. */
    public Builder dataTimeout(Duration timeout) {
      SessionSettings.builder().dataTimeout(timeout);
      this.dataTimeout = timeout;
      return this;
    }

    /** Sets the hard cap of connections to the server, which is also the number of sending threads. */
    public Builder maxConnections(int connections) {
      if (connections < 1 || connections > 1000) {
        throw new IllegalArgumentException("maxConnections must be 1..1000: " + connections);
      }
      this.maxConnections = connections;
      return this;
    }

    public Builder maxMessagesPerSession(int messages) {
      if (messages < 1) {
        throw new IllegalArgumentException("maxMessagesPerSession must be positive: " + messages);
      }
      this.maxMessagesPerSession = messages;
      return this;
    }

    /** Closes a session unused for this long. */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Checks a session with NOOP before reusing it after this much idle time. */
    public Builder healthCheckAfterIdle(Duration idle) {
      this.healthCheckAfterIdle = Objects.requireNonNull(idle, "idle");
      return this;
    }

    /** Uses PIPELINING when offered; on by default. */
    public Builder pipelining(boolean use) {
      this.pipelining = use;
      return this;
    }

    /** Uses CHUNKING (BDAT) when offered; on by default. */
    public Builder chunking(boolean use) {
      this.chunking = use;
      return this;
    }

    /**
     * Sets how many messages a session may send before their final replies arrive, when the
     * server offers PIPELINING and CHUNKING; 1 turns streaming off. Default 16.
     */
    public Builder maxUnacknowledged(int messages) {
      SessionSettings.builder().maxUnacknowledged(messages);
      this.maxUnacknowledged = messages;
      return this;
    }

    /** Turns streaming on (the default window of 16) or off. */
    public Builder streaming(boolean on) {
      this.maxUnacknowledged = on ? 16 : 1;
      return this;
    }

    /** Hears of every message. */
    public Builder listener(DeliveryListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Sets the clock for idle expiry and elapsed times. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds and starts the relay; connections open when the first message is sent.
     *
     * @throws IllegalStateException when no host was set
     */
    public SmtpRelay build() {
      if (host == null) {
        throw new IllegalStateException("host is required");
      }
      Builder b = copy();
      if (b.port < 0) {
        b.port = b.tls == TlsMode.IMPLICIT ? 465 : 587;
      }
      return new SmtpRelay(b);
    }
  }
}
