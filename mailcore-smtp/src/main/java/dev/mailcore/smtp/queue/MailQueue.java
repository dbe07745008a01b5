package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import dev.mailcore.DeliveryStatus;
import dev.mailcore.Envelope;
import dev.mailcore.MailException;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.smtp.dkim.MessageSigner;
import dev.mailcore.smtp.internal.SignedRendering;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable delivery queue with its own delivery agent: what makes an application its own mail
 * transfer agent. {@link #enqueue} returns only once the message bytes and its entry are durable in
 * the {@link QueueStore}; from then on worker threads deliver it through the {@link
 * QueueTransport}, one transaction per destination domain, retry temporary failures on the {@link
 * RetryPolicy}'s back-off, and when a recipient fails for good (or its lifetime runs out) queue one
 * RFC 3464 delivery status notification per message for the sender, with the empty reverse-path. A
 * message with the empty reverse-path never bounces.
 *
 * <p>The message is rendered once, at enqueue; every attempt streams the same stored bytes. The
 * agent limits parallel transactions per domain and, optionally, messages per second and per day
 * per domain and overall. All timing comes from the injected {@link Clock} and {@link
 * ScheduledExecutorService}, so tests drive it with a manual clock.
 *
 * <p>On a store shared by several instances ({@link QueueStore#supportsLeases()}, such as {@code
 * jdbc.PostgresQueueStore}) the agent takes work only by {@link QueueLease}: it claims what it can
 * start, gives the rest back, renews the leases of its transactions every third of the store's
 * lease duration, and records each outcome only while its lease is still the entry's newest; an
 * outcome refused because the lease ran out and another instance took the entry over is dropped
 * (logged at WARN), since the other instance's attempt is the one that counts. It polls the store
 * every {@link Builder#pollInterval poll interval} for mail other instances queued and for leases
 * that expired (an instance that died). Rate limits count only this instance's messages.
 *
 * <p>A store of this process (not shared) belongs to the queue while it runs: change its entries
 * through the queue ({@link #retryNow}, {@link #cancel}), not through the store, since an attempt in
 * flight records its outcome over the state it started from.
 *
 * <p>Thread-safe. {@link #close()} lets transactions in flight finish, leaves everything else
 * queued for the next start, gives back any lease still held, and closes the store.
 *
 * <pre>{@code
 * try (MailQueue queue = MailQueue.builder()
 *     .store(FileQueueStore.open(Path.of("spool")))
 *     .transport(transport)
 *     .domainConcurrency(2)
 *     .domainRateLimit(RateLimit.perDay(100))
 *     .build()) {
 *   QueueId id = queue.enqueue(Envelope.of(message), message);
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class MailQueue implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MailQueue.class);
  private static final int MAX_RECIPIENTS_PER_TRANSACTION = 100;
  private static final int DUE_SCAN_LIMIT = 4096;
  private static final Duration STORE_FAILURE_PAUSE = Duration.ofMinutes(1);
  private static final Duration RESCAN_AFTER = Duration.ofSeconds(1);

  private final QueueStore store;
  private final QueueTransport transport;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownScheduler;
  private final ExecutorService workers;
  private final ExecutorService events =
      Executors.newSingleThreadExecutor(threads("mailcore-queue-events"));
  private final int workerCount;
  private final RetryPolicy retry;
  private final Duration lifetime;
  private final int domainConcurrency;
  private final RateLimit domainRateLimit;
  private final Optional<Duration> delayWarning;
  private final QueueListener listener;
  private final BounceWriter bounces;
  private final MessageSigner signer;
  private final AtomicBoolean pumpScheduled = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Runnable> durable = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean outcomesScheduled = new AtomicBoolean();
  private final boolean nonBlocking; // the transport's deliverAsync never blocks the caller
  private final AtomicBoolean durableScheduled = new AtomicBoolean();
  private final boolean leased; // the store is shared: leases expire and may be superseded
  private final Duration pollInterval;
  private final Duration storeFailurePause;
  private final AtomicBoolean claiming = new AtomicBoolean(); // a shared store's claim runs
  private final AtomicBoolean pumpAgain = new AtomicBoolean(); // asked for while claiming

  private final Object lock = new Object();
  private final Map<QueueId, Flight> inFlight = new HashMap<>();
  private final Map<String, Integer> activePerDomain = new HashMap<>();
  /** Domains of transactions the transport finished, whose slots {@link #freeSlots} frees. */
  private final ConcurrentLinkedQueue<String> slotsDone = new ConcurrentLinkedQueue<>();
  private final Map<String, TokenBucket> domainBuckets = new HashMap<>();
  private final Map<QueueId, Instant> heldUntil = new HashMap<>();
  private final TokenBucket overallBucket;
  private final boolean dailyInStore;
  private final RateLimit overallRateLimit;
  private ScheduledFuture<?> wakeup;
  private Instant wakeupAt;
  private ScheduledFuture<?> heartbeat;
  private volatile boolean closed; // written under the lock; read without it by checkOpen
  private boolean stopped; // closed, and nothing left in flight: no more renewals
  // guarded by lock: transactions at the transport, and those not yet durably recorded
  private int sending;
  private int unfinished;
  private int claimed; // entries in flight that the store leaves out of its due scan
  // guarded by lock: when a deep due scan last found nothing to start, and the queue's size then
  private Instant fruitlessScanAt;
  private int fruitlessScanSize;

  /** An entry being worked on; at most one per entry. */
  private static final class Flight {
    final String domain;
    volatile boolean cancelled;
    boolean claimed; // guarded by lock
    QueueLease lease; // guarded by lock; null for control work (retryNow, cancel, notifications)

    Flight(String domain) {
      this.domain = domain;
    }
  }

  /** One transaction: recipients of one domain of one entry. */
  private record Job(
      QueueEntry entry,
      String domain,
      List<Mailbox> recipients,
      List<QueueId> notices,
      Flight flight) {}

  private MailQueue(Builder b) {
    this.store = Objects.requireNonNull(b.store, "store");
    this.transport = Objects.requireNonNull(b.transport, "transport");
    this.clock = b.clock;
    this.ownScheduler = b.scheduler == null;
    this.scheduler =
        ownScheduler
            ? Executors.newSingleThreadScheduledExecutor(threads("mailcore-queue-timer"))
            : b.scheduler;
    this.workerCount = b.workers;
    // A non-blocking transport needs no thread per transaction: a few run the bookkeeping.
    this.workers =
        Executors.newFixedThreadPool(
            b.transport instanceof NonBlockingTransport
                ? Math.min(b.workers, Math.max(2, Runtime.getRuntime().availableProcessors()))
                : b.workers,
            threads("mailcore-queue-worker"));
    this.retry = b.retry;
    this.lifetime = b.lifetime != null ? b.lifetime : b.retry.lifetime();
    this.domainConcurrency = b.domainConcurrency;
    this.domainRateLimit = b.domainRateLimit;
    this.overallRateLimit = b.rateLimit;
    this.delayWarning = Optional.ofNullable(b.delayWarning);
    this.listener = b.listener;
    this.bounces = new BounceWriter(b.hostname);
    this.signer = b.signer;
    // a store shared by several instances counts the per-day limits for all of them; the
    // per-second part stays a token bucket of this instance's
    this.dailyInStore = store.countsDailyLimits();
    RateLimit overall = dailyInStore ? withoutDay(b.rateLimit) : b.rateLimit;
    this.overallBucket = overall.isUnlimited() ? null : new TokenBucket(overall, clock.instant());
    this.leased = store.supportsLeases();
    this.nonBlocking = transport instanceof NonBlockingTransport;
    this.pollInterval = b.pollInterval;
    this.storeFailurePause = b.storeFailurePause;
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- enqueue

  /**
   * Renders {@code message} once and queues it for the recipients of {@code envelope}. Returns when
   * the bytes and the entry are durable.
   *
   * @return the new entry's id
   * @throws IllegalStateException when the queue is closed
   * @throws QueueStoreException when the store could not make the message durable; it is not queued
   * @throws java.io.UncheckedIOException when the message cannot be rendered
   */
  public QueueId enqueue(Envelope envelope, Message message) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(message, "message");
    if (signer != null) {
      try (SignedRendering signed = SignedRendering.of(message, signer)) {
        return enqueue(envelope, signed.content()); // read into the store before it is deleted
      }
    }
    RenderBuffer buffer = new RenderBuffer();
    message.writeTo(buffer);
    return enqueue(envelope, buffer.content());
  }

  /**
   * Queues RFC 5322 bytes, already rendered (for example signed), for the recipients of {@code
   * envelope}. The content is read once, into the store. Returns when the bytes and the entry are
   * durable.
   *
   * @return the new entry's id
   * @throws IllegalStateException when the queue is closed
   * @throws QueueStoreException when the store could not make the message durable
   */
  public QueueId enqueue(Envelope envelope, Content rfc5322Bytes) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(rfc5322Bytes, "rfc5322Bytes");
    checkOpen();
    return append(envelope, rfc5322Bytes);
  }

  /**
   * Queues RFC 5322 bytes like {@link #enqueue(Envelope, Content)} without waiting for the disk:
   * the future completes with the id once the message is durable, or exceptionally with the
   * exception {@code enqueue} would have thrown. Keeping many enqueues in flight lets the store
   * write them with one {@code fsync}; the message is acknowledged only when the future completes.
   * The content must stay readable until then.
   *
   * @throws IllegalStateException when the queue is closed
   */
  public CompletableFuture<QueueId> enqueueAsync(Envelope envelope, Content rfc5322Bytes) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(rfc5322Bytes, "rfc5322Bytes");
    checkOpen();
    Instant now = clock.instant();
    QueueEntry entry = QueueEntry.ofNew(QueueId.next(now), envelope, now);
    CompletableFuture<QueueId> queued = new CompletableFuture<>();
    store
        .appendAsync(entry, rfc5322Bytes)
        .whenComplete(
            (done, failure) ->
                onEventThread(
                    () -> {
                      if (failure != null) {
                        queued.completeExceptionally(unwrap(failure));
                      } else {
                        tell(l -> l.enqueued(entry));
                        queued.complete(entry.id());
                      }
                    }));
    return queued;
  }

  /**
   * Runs {@code task} on the event thread, which takes every task waiting at once: the enqueues of
   * one group commit complete on the store's writer thread together, and cost one hand-off and one
   * dispatch pass instead of one each.
   */
  private void onEventThread(Runnable task) {
    durable.add(task);
    if (!durableScheduled.compareAndSet(false, true)) {
      return; // a drain is queued and has not started yet: it runs this task too
    }
    try {
      events.execute(this::drainDurable);
    } catch (RejectedExecutionException e) {
      // closed: nothing dispatches any more, but the callers still hear how their enqueue ended
      drainDurable();
    }
  }

  private void drainDurable() {
    durableScheduled.set(false);
    boolean any = false;
    for (Runnable task; (task = durable.poll()) != null; ) {
      task.run();
      any = true;
    }
    if (any) {
      pumpSoon();
    }
  }

  /**
   * Renders {@code message} once on the calling thread, then queues it like {@link
   * #enqueueAsync(Envelope, Content)}.
   *
   * @throws IllegalStateException when the queue is closed
   * @throws java.io.UncheckedIOException when the message cannot be rendered
   */
  public CompletableFuture<QueueId> enqueueAsync(Envelope envelope, Message message) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(message, "message");
    if (signer != null) {
      SignedRendering signed = SignedRendering.of(message, signer);
      CompletableFuture<QueueId> queued;
      try {
        queued = enqueueAsync(envelope, signed.content());
      } catch (RuntimeException e) {
        signed.close();
        throw e;
      }
      return queued.whenComplete((id, e) -> signed.close());
    }
    RenderBuffer buffer = new RenderBuffer();
    message.writeTo(buffer);
    return enqueueAsync(envelope, buffer.content());
  }

  private void checkOpen() {
    if (closed) { // no lock: producers would queue behind the dispatcher's scans for this check
      throw new IllegalStateException("queue is closed");
    }
  }

  private QueueId append(Envelope envelope, Content bytes) {
    Instant now = clock.instant();
    QueueEntry entry = QueueEntry.ofNew(QueueId.next(now), envelope, now);
    store.append(entry, bytes);
    LOG.debug("queued {} for {} recipients", entry.id(), envelope.recipients().size());
    tell(l -> l.enqueued(entry));
    pumpSoon();
    return entry.id();
  }

  /** A byte buffer whose content is handed on without a copy. */
  private static final class RenderBuffer extends ByteArrayOutputStream {
    RenderBuffer() {
      super(8192);
    }

    Content content() {
      byte[] data = buf;
      int size = count;
      return Content.ofSource(() -> new ByteArrayInputStream(data, 0, size), size);
    }
  }

  // ---------------------------------------------------------------- control

  /** Returns every queued entry, oldest first. */
  public List<QueueEntry> entries() {
    return store.entries();
  }

  /** Returns the entry with {@code id}, while it is queued. */
  public Optional<QueueEntry> entry(QueueId id) {
    return store.entry(Objects.requireNonNull(id, "id"));
  }

  /** Returns counts per recipient state. */
  public QueueStats stats() {
    int flying;
    synchronized (lock) {
      freeSlots();
      flying = sending;
    }
    return QueueStats.of(store.entries(), flying);
  }

  /**
   * Makes every open recipient of an entry due now.
   *
   * @return false when there is no such entry
   * @throws QueueStoreException when the new state could not be stored
   */
  public boolean retryNow(QueueId id) {
    Objects.requireNonNull(id, "id");
    synchronized (lock) {
      if (inFlight.containsKey(id)) {
        return true; // an attempt is running right now
      }
      inFlight.put(id, new Flight(null));
      heldUntil.remove(id);
    }
    try {
      Optional<QueueEntry> entry = store.entry(id);
      if (entry.isEmpty()) {
        return false;
      }
      Instant now = clock.instant();
      List<RecipientState> states = new ArrayList<>();
      for (RecipientState r : entry.get().recipients()) {
        states.add(r.dueAt(now));
      }
      store.update(entry.get().withRecipients(states));
    } finally {
      synchronized (lock) {
        inFlight.remove(id);
      }
    }
    pump();
    return true;
  }

  /**
   * Removes an entry without notifying its sender. An attempt in flight finishes, then the entry is
   * removed whatever its outcome.
   *
   * @return false when there is no such entry
   * @throws QueueStoreException when the removal could not be stored
   */
  public boolean cancel(QueueId id) {
    Objects.requireNonNull(id, "id");
    synchronized (lock) {
      Flight f = inFlight.get(id);
      if (f != null) {
        f.cancelled = true;
        return store.entry(id).isPresent();
      }
      inFlight.put(id, new Flight(null));
    }
    try {
      Optional<QueueEntry> entry = store.entry(id);
      if (entry.isEmpty()) {
        return false;
      }
      store.delete(id);
      tell(l -> l.cancelled(entry.get()));
      return true;
    } finally {
      synchronized (lock) {
        inFlight.remove(id);
      }
    }
  }

  /**
   * Stops taking new messages, lets transactions in flight finish and record their outcome, leaves
   * the rest queued, and closes the store. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (wakeup != null) {
        wakeup.cancel(false);
      }
    }
    boolean interrupted = false;
    synchronized (lock) {
      while (unfinished > 0 && !interrupted) {
        try {
          lock.wait(TimeUnit.MINUTES.toMillis(1));
          if (unfinished > 0) {
            LOG.info("queue close: still waiting for {} transactions in flight", unfinished);
          }
        } catch (InterruptedException e) {
          interrupted = true; // stop waiting; what is in flight is redelivered after a restart
        }
      }
    }
    List<QueueLease> held = new ArrayList<>();
    synchronized (lock) {
      stopped = true;
      if (heartbeat != null) {
        heartbeat.cancel(false);
      }
      for (Flight f : inFlight.values()) {
        if (f.lease != null) {
          held.add(f.lease);
        }
      }
    }
    giveBack(held); // what was not finished is free for other instances at once
    workers.shutdown();
    while (!interrupted) {
      try {
        if (workers.awaitTermination(1, TimeUnit.MINUTES)) {
          break;
        }
        LOG.info("queue close: still waiting for worker threads");
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      workers.shutdownNow();
    }
    if (ownScheduler) {
      scheduler.shutdownNow();
    }
    store.close(); // completes asynchronous enqueues still being written
    events.shutdown();
    try {
      if (!events.awaitTermination(1, TimeUnit.MINUTES)) {
        LOG.warn("queue close: enqueue callbacks still running after a minute");
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    LOG.info("queue closed");
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- leases

  /** Starts renewing the leases in flight, every third of the store's lease duration. */
  private void startHeartbeat() {
    if (leased) {
      scheduleHeartbeat();
    }
  }

  private void scheduleHeartbeat() {
    long period = Math.max(1, store.leaseDuration().toNanos() / 3);
    synchronized (lock) {
      if (!stopped) {
        heartbeat = scheduler.schedule(this::renewLeases, period, TimeUnit.NANOSECONDS);
      }
    }
  }

  /**
   * Extends the leases of the transactions in flight. A lease the store does not renew was lost
   * (it ran out and another instance claimed the entry): the transaction goes on, but its outcome
   * will be refused.
   */
  private void renewLeases() {
    try {
      Map<QueueId, QueueLease> held = new HashMap<>();
      synchronized (lock) {
        for (Flight f : inFlight.values()) {
          if (f.lease != null) {
            held.put(f.lease.id(), f.lease);
          }
        }
      }
      if (!held.isEmpty()) {
        List<QueueLease> renewed = store.renew(held.values());
        synchronized (lock) {
          for (QueueLease l : renewed) {
            held.remove(l.id());
            Flight f = inFlight.get(l.id());
            if (f != null && f.lease != null && f.lease.token() == l.token()) {
              f.lease = l;
            }
          }
          // a transaction that finished meanwhile ended its lease itself
          held.values().removeIf(l -> {
            Flight f = inFlight.get(l.id());
            return f == null || f.lease == null || f.lease.token() != l.token();
          });
        }
        for (QueueLease lost : held.values()) {
          LOG.warn("lease on {} (token {}) could not be renewed; it was lost", lost.id(), lost.token());
        }
      }
    } catch (RuntimeException e) {
      // the next beat tries again; until the lease runs out nothing is lost
      LOG.warn("cannot renew queue leases; retrying at the next heartbeat", e);
    } finally {
      scheduleHeartbeat();
    }
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * Pumps on the event thread, once for every burst of requests: a batch of enqueues made durable
   * by one group commit, or of transactions finishing together, scans the due entries once.
   */
  private void pumpSoon() {
    if (!pumpScheduled.compareAndSet(false, true)) {
      return; // a pump is queued and has not started yet: it sees this request's change too
    }
    try {
      events.execute(
          () -> {
            pumpScheduled.set(false);
            try {
              pump();
            } catch (RuntimeException e) {
              LOG.warn("queue dispatch failed; retrying in {}", storeFailurePause, e);
              retryPumpLater();
            }
          });
    } catch (RejectedExecutionException e) {
      // the queue is closed and its event thread gone: there is nothing left to dispatch
      pumpScheduled.set(false);
      LOG.debug("queue closed; dispatch request dropped");
    }
  }

  /** Starts what is due and allowed; schedules a wake-up for the rest. */
  private void pump() {
    if (leased) {
      pumpShared();
    } else {
      pumpLocal();
    }
  }

  /**
   * Pumps a store of this process: its due scan is a walk of an in-memory index, made under the
   * lock.
   */
  private void pumpLocal() {
    List<Job> jobs = new ArrayList<>();
    List<QueueLease> unused = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return;
      }
      Instant now = clock.instant();
      freeSlots();
      int free = workerCount - sending;
      if (free <= 0) {
        dispatch(now, List.of(), store.nextDue(), jobs, unused);
      } else {
        // Scan only a little past what can start, and further only while entries were passed
        // over (a domain at its cap, say) and slots are still free, so a capped domain does not
        // stall the others and a long backlog is not walked on every pump.
        // A deep scan that found nothing to start is not repeated for a second unless the
        // queue grew: a one-domain backlog at its cap would otherwise walk thousands of entries
        // on every finished transaction.
        int extra = inFlight.size() - claimed; // in flight but still in the due scan
        int ahead = Math.max(16, free);
        boolean deep = false;
        boolean deepStarted = false;
        while (true) {
          int limit = Math.min(DUE_SCAN_LIMIT, extra + free + ahead);
          // read before the scan: an entry appended meanwhile must count as growth, or the memo
          // below would hold it back (until the wake-up) as if this scan had seen it
          int sizeBefore = store.size();
          List<QueueLease> offered = store.claim(now, limit);
          int before = jobs.size();
          free = dispatch(now, offered, store.nextDue(), jobs, unused);
          deepStarted |= deep && jobs.size() > before;
          if (free <= 0 || offered.size() < limit || limit >= DUE_SCAN_LIMIT) {
            if (deep && !deepStarted && free > 0) {
              fruitlessScanAt = now;
              fruitlessScanSize = sizeBefore;
            } else if (deepStarted) {
              fruitlessScanAt = null;
            }
            break;
          }
          if (!deep && fruitlessScanAt != null) {
            Instant until = fruitlessScanAt.plus(RESCAN_AFTER);
            if (store.size() <= fruitlessScanSize && now.isBefore(until)) {
              scheduleWakeup(until, now); // then scan deep again, whatever happens meanwhile
              break;
            }
          }
          deep = true;
          ahead *= 8;
        }
      }
    }
    startJobs(jobs, unused);
  }

  /**
   * Pumps a shared store: claims what can start and learns when the next entry falls due, in one
   * round trip made without holding the lock, so finishing transactions are not held up behind it.
   * One claim runs at a time: a pump asked for meanwhile (the poll timer firing while the event
   * thread claims, say) is run by the claiming thread once its claim is dispatched, so two claims
   * never both take the free slots and one of them gives its leases straight back.
   */
  private void pumpShared() {
    if (!claiming.compareAndSet(false, true)) {
      pumpAgain.set(true);
      if (claiming.compareAndSet(false, true)) {
        // the claiming thread finished between the two checks: claim here after all
        pumpAgain.set(false);
      } else {
        return; // the claiming thread sees pumpAgain and claims once more
      }
    }
    try {
      do {
        pumpAgain.set(false);
        claimAndDispatch();
      } while (pumpAgain.get());
    } finally {
      claiming.set(false);
    }
    if (pumpAgain.get()) {
      pumpSoon(); // asked for after the last check but before the flag was cleared
    }
  }

  private void claimAndDispatch() {
    List<Job> jobs = new ArrayList<>();
    List<QueueLease> unused = new ArrayList<>();
    Instant now;
    int limit;
    synchronized (lock) {
      if (closed) {
        return;
      }
      now = clock.instant();
      freeSlots();
      limit = Math.min(DUE_SCAN_LIMIT, workerCount - sending);
    }
    QueueClaim claim =
        limit > 0 ? store.claimDue(now, limit) : new QueueClaim(List.of(), store.nextDue());
    synchronized (lock) {
      if (closed) {
        unused.addAll(claim.leases());
      } else {
        dispatch(now, claim.leases(), claim.nextDue(), jobs, unused);
      }
    }
    startJobs(jobs, unused);
  }

  /**
   * Starts what of {@code offered} is allowed now; called with the lock held. Returns how many
   * more could start now: 0 when the slots are taken or an overall limit holds the rest back.
   */
  private int dispatch(
      Instant now,
      List<QueueLease> offered,
      Optional<Instant> next,
      List<Job> jobs,
      List<QueueLease> unused) {
    Instant wake = null;
    freeSlots();
    int free = workerCount - sending;
    heldUntil.values().removeIf(t -> !t.isAfter(now));
    for (QueueLease lease : offered) {
      QueueEntry entry = lease.entry();
      if (free == 0) {
        unused.add(lease);
        continue;
      }
      Flight running = inFlight.get(entry.id());
      if (running != null) {
        if (leased && running.lease != null) {
          // this queue's own lease ran out while the transaction went on, and it claimed the
          // entry again: the transaction in flight now holds the new lease
          running.lease = lease;
        } else {
          unused.add(lease); // control work on it (a notification held back, say): give it back
        }
        continue;
      }
      Instant held = heldUntil.get(entry.id());
      if (held != null) {
        wake = earlier(wake, held);
        unused.add(lease);
        continue;
      }
      boolean started = false;
      for (Map.Entry<String, List<Mailbox>> d : dueByDomain(entry, now).entrySet()) {
        String domain = d.getKey();
        if (activePerDomain.getOrDefault(domain, 0) >= domainConcurrency) {
          continue; // a finishing transaction of this domain pumps again
        }
        if (overallBucket != null) {
          Optional<Instant> blocked = overallBucket.blockedUntil(now);
          if (blocked.isPresent()) {
            wake = earlier(wake, blocked.get());
            free = 0; // give back the rest of what was claimed
            break;
          }
        }
        TokenBucket bucket = domainBucket(domain, now);
        if (bucket != null) {
          Optional<Instant> blocked = bucket.blockedUntil(now);
          if (blocked.isPresent()) {
            wake = earlier(wake, blocked.get());
            continue;
          }
        }
        if (dailyInStore) {
          // the store counts the day for every instance: domain first, then overall (a refusal
          // of the overall count leaves the domain's unused, so the limits are never exceeded)
          Optional<Instant> dayOver = takeDaily(domain, now);
          if (dayOver.isPresent()) {
            wake = earlier(wake, dayOver.get());
            if (!dayOverForDomainOnly) {
              free = 0; // give back the rest of what was claimed
              break;
            }
            continue;
          }
        }
        if (bucket != null) {
          bucket.take();
        }
        if (overallBucket != null) {
          overallBucket.take();
        }
        activePerDomain.merge(domain, 1, Integer::sum);
        Flight flight = new Flight(domain);
        flight.lease = lease;
        inFlight.put(entry.id(), flight);
        if (store.claim(entry.id())) {
          flight.claimed = true;
          claimed++;
        }
        sending++;
        unfinished++;
        List<Mailbox> rcpts = d.getValue();
        jobs.add(
            new Job(
                entry,
                domain,
                List.copyOf(
                    rcpts.subList(0, Math.min(rcpts.size(), MAX_RECIPIENTS_PER_TRANSACTION))),
                new ArrayList<>(),
                flight));
        free--;
        started = true;
        break;
      }
      if (!started) {
        unused.add(lease);
      }
    }
    if (next.isPresent() && next.get().isAfter(now)) {
      wake = earlier(wake, next.get());
    }
    if (leased) {
      // other instances queue work and free leases without telling this one
      wake = earlier(wake, now.plus(pollInterval));
    }
    if (wake != null) {
      scheduleWakeup(wake, now);
    }
    return free;
  }

  /** Gives back what was not started and hands the jobs to the workers. */
  private void startJobs(List<Job> jobs, List<QueueLease> unused) {
    giveBack(unused);
    for (Job job : jobs) {
      tell(l -> l.attemptStarted(job.entry(), job.recipients()));
      try {
        if (nonBlocking) {
          run(job); // hands the transaction over and returns: no thread hop per message
        } else {
          workers.execute(() -> run(job));
        }
      } catch (RuntimeException e) {
        // rejected: the queue is closing; the entry stays queued as it is
        LOG.debug("queue closing, {} stays queued", job.entry().id());
        transportDone(job);
        giveBack(takeLease(job).stream().toList());
        release(job);
      }
    }
  }

  /**
   * Returns leases this queue will not work on now, so other instances may claim them at once; all
   * of them in one store call.
   */
  private void giveBack(List<QueueLease> leases) {
    if (!leased || leases.isEmpty()) {
      return;
    }
    try {
      store.release(leases);
    } catch (RuntimeException e) {
      // safe to drop: an unreleased lease only delays the entry until the lease expires
      LOG.warn(
          "cannot give back {} leases (first on {}); they expire on their own",
          leases.size(),
          leases.get(0).id(),
          e);
    }
  }

  /** Takes the lease off the job's flight: its outcome ends it, so the heartbeat stops renewing. */
  private Optional<QueueLease> takeLease(Job job) {
    synchronized (lock) {
      Flight f = inFlight.get(job.entry().id());
      if (f == null || f.lease == null) {
        return Optional.empty();
      }
      QueueLease lease = f.lease;
      f.lease = null;
      return Optional.of(lease);
    }
  }

  private static Map<String, List<Mailbox>> dueByDomain(QueueEntry entry, Instant now) {
    Map<String, List<Mailbox>> out = new LinkedHashMap<>();
    for (RecipientState r : entry.recipients()) {
      if (r.isDue(now)) {
        out.computeIfAbsent(domainOf(r.recipient()), k -> new ArrayList<>()).add(r.recipient());
      }
    }
    return out;
  }

  static String domainOf(Mailbox m) {
    return m.asciiDomain().toLowerCase(Locale.ROOT);
  }

  private TokenBucket domainBucket(String domain, Instant now) {
    RateLimit limit = dailyInStore ? withoutDay(domainRateLimit) : domainRateLimit;
    if (limit.isUnlimited()) {
      return null;
    }
    return domainBuckets.computeIfAbsent(domain, d -> new TokenBucket(limit, now));
  }

  private static RateLimit withoutDay(RateLimit limit) {
    return new RateLimit(limit.perSecond(), 0);
  }

  /** Which limit refused the last {@link #takeDaily}: the domain's (true) or the overall one. */
  private boolean dayOverForDomainOnly;

  /**
   * Counts a message to {@code domain} against the per-day limits the store counts; returns the
   * start of the next UTC day when a limit is used up for today. Called with the lock held: a
   * database round trip, but only for queues with per-day limits.
   */
  private Optional<Instant> takeDaily(String domain, Instant now) {
    LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
    Optional<Instant> tomorrow =
        Optional.of(day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant());
    if (domainRateLimit.dayLimit().isPresent()
        && !store.takeDaily("domain:" + domain, day, domainRateLimit.perDay())) {
      dayOverForDomainOnly = true;
      return tomorrow;
    }
    if (overallRateLimit.dayLimit().isPresent()
        && !store.takeDaily("overall", day, overallRateLimit.perDay())) {
      dayOverForDomainOnly = false;
      return tomorrow;
    }
    return Optional.empty();
  }

  private static Instant earlier(Instant a, Instant b) {
    return a == null || b.isBefore(a) ? b : a;
  }

  private void scheduleWakeup(Instant at, Instant now) {
    if (wakeup != null && !wakeup.isDone() && wakeupAt != null && !at.isBefore(wakeupAt)) {
      return;
    }
    if (wakeup != null) {
      wakeup.cancel(false);
    }
    long delay = Math.max(0, Duration.between(now, at).toNanos());
    wakeupAt = at;
    wakeup = scheduler.schedule(this::onWakeup, delay, TimeUnit.NANOSECONDS);
  }

  private void onWakeup() {
    synchronized (lock) {
      wakeup = null;
      wakeupAt = null;
    }
    try {
      pump();
    } catch (RuntimeException e) {
      LOG.warn("queue dispatch failed; retrying in {}", storeFailurePause, e);
      retryPumpLater();
    }
  }

  private void retryPumpLater() {
    synchronized (lock) {
      if (!closed) {
        Instant now = clock.instant();
        scheduleWakeup(now.plus(storeFailurePause), now);
      }
    }
  }

  /**
   * Frees the transaction's slot once the transport is done with it, so the next one starts while
   * this outcome waits for the disk; the entry itself stays in flight until {@link #release}.
   */
  private void transportDone(Job job) {
    // no lock here: the transport's threads would wait behind every dispatch pass for it; the
    // pump that follows frees the slot before it counts the free ones
    slotsDone.add(job.domain());
    pumpSoon();
  }

  /** Frees the slots of the transactions the transport has finished since. Caller holds the lock. */
  private void freeSlots() {
    for (String domain; (domain = slotsDone.poll()) != null; ) {
      activePerDomain.computeIfPresent(domain, (k, v) -> v <= 1 ? null : v - 1);
      sending--;
    }
  }

  private void release(Job job) {
    synchronized (lock) {
      Flight f = inFlight.remove(job.entry().id());
      if (f != null && f.claimed) {
        claimed--;
        store.unclaim(job.entry().id()); // a no-op when the outcome replaced the state
      }
      unfinished--;
      lock.notifyAll();
    }
  }

  // ---------------------------------------------------------------- one transaction

  /**
   * Starts one transaction and returns once the transport has it: the outcome is recorded when the
   * transport completes, through the store's group commit, and the listener hears of it only once
   * it is durable. The transaction keeps its slot (and the entry stays in flight, so it is not
   * dispatched twice) until then; a crash before the outcome is durable redelivers it, never loses
   * it. Runs on a worker thread, or on the dispatching thread when the transport never blocks.
   */
  private void run(Job job) {
    Envelope envelope = job.entry().envelope().withRecipients(job.recipients());
    CompletableFuture<List<RecipientResult>> delivery;
    try {
      delivery = transport.deliverAsync(envelope, store.message(job.entry().id()));
    } catch (RuntimeException e) {
      delivery = CompletableFuture.failedFuture(e);
    }
    delivery.whenComplete(
        (raw, failure) -> {
          if (recordsInline(job, raw, failure)) {
            outcome(job, raw, failure);
          } else {
            onWorker(() -> outcome(job, raw, failure));
          }
        });
  }

  /**
   * Returns true when an outcome can be recorded on the transport's own thread without a hand-off:
   * the transport never blocks, every recipient of the transaction was delivered and the others
   * of the entry were before (no notification to render and store), and the store records by group
   * commit rather than by a lease round trip.
   */
  private boolean recordsInline(Job job, List<RecipientResult> raw, Throwable failure) {
    return nonBlocking
        && !leased
        && failure == null
        && raw != null
        && allDelivered(raw)
        && othersDelivered(job);
  }

  /**
   * True when every recipient of the entry outside this transaction is delivered already: an
   * outcome delivering this transaction then finishes the entry with no notification to write (a
   * delay warning or a bounce is stored with a blocking write, not on the transport's thread).
   */
  private static boolean othersDelivered(Job job) {
    for (RecipientState r : job.entry().recipients()) {
      if (r.status() != RecipientState.Status.DELIVERED
          && !job.recipients().contains(r.recipient())) {
        return false;
      }
    }
    return true;
  }

  private static boolean allDelivered(List<RecipientResult> raw) {
    for (RecipientResult r : raw) {
      if (r.status() != DeliveryStatus.DELIVERED) {
        return false;
      }
    }
    return true;
  }

  private void outcome(Job job, List<RecipientResult> raw, Throwable failure) {
    List<RecipientResult> results;
    try {
      results = results(job, raw, failure);
    } finally {
      transportDone(job);
    }
    record(job, results).whenComplete((events, e) -> finishSoon(new Outcome(job, events, e)));
  }

  private void onWorker(Runnable task) {
    try {
      workers.execute(task);
    } catch (RejectedExecutionException e) {
      task.run(); // the pool is gone only once nothing is in flight; run it here all the same
    }
  }

  /** A recorded (or failed to record) outcome, waiting for {@link #finishWaiting}. */
  private record Outcome(Job job, List<Consumer<QueueListener>> events, Throwable failure) {}

  /**
   * Finishes outcomes on a worker thread, every one waiting at once: the outcomes one group commit
   * made durable cost one hand-off and one dispatch pass.
   */
  private void finishSoon(Outcome o) {
    outcomes.add(o);
    if (outcomesScheduled.compareAndSet(false, true)) {
      onWorker(this::finishWaiting);
    }
  }

  private void finishWaiting() {
    outcomesScheduled.set(false);
    List<Outcome> done = new ArrayList<>();
    for (Outcome o; (o = outcomes.poll()) != null; ) {
      done.add(o);
    }
    if (done.isEmpty()) {
      return;
    }
    for (Outcome o : done) {
      hold(o);
      cancelLate(o.job());
      release(o.job());
    }
    if (leased) {
      // a shared store's claim is a database round trip: let finishing transactions share one
      pumpSoon();
    } else {
      pump();
    }
    boolean notices = false;
    for (Outcome o : done) {
      if (o.events() != null) {
        for (Consumer<QueueListener> event : o.events()) {
          tell(event);
        }
      }
      if (!o.job().notices().isEmpty()) {
        synchronized (lock) {
          o.job().notices().forEach(inFlight::remove);
        }
        notices = true;
      }
    }
    if (notices) {
      pump();
    }
  }

  /**
   * Removes an entry whose cancel came while its outcome was being recorded (after the outcome read
   * the flag, so the outcome may have kept it queued), before its flight ends and a dispatch pass
   * could start it again. {@link #cancel} promised its removal whatever the outcome.
   */
  private void cancelLate(Job job) {
    if (!job.flight().cancelled) {
      return;
    }
    QueueId id = job.entry().id();
    try {
      Optional<QueueEntry> entry = store.entry(id);
      if (entry.isPresent()) {
        store.delete(id);
        tell(l -> l.cancelled(entry.get()));
      }
    } catch (RuntimeException e) {
      LOG.warn("cannot remove cancelled entry {}; it stays queued", id, e);
    }
  }

  private void hold(Outcome o) {
    if (o.failure() != null) {
      LOG.warn(
          "cannot record the outcome of delivering {}; holding it for {}",
          o.job().entry().id(),
          storeFailurePause,
          unwrap(o.failure()));
      synchronized (lock) {
        heldUntil.put(o.job().entry().id(), clock.instant().plus(storeFailurePause));
      }
    }
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private List<RecipientResult> results(Job job, List<RecipientResult> raw, Throwable failure) {
    if (failure != null) {
      Throwable e = unwrap(failure);
      if (e instanceof MailException me) {
        return failAll(job, me.isTemporary(), me.getMessage());
      }
      LOG.debug("transport failed for {}", job.entry().id(), e);
      return failAll(job, true, "delivery failed: " + e);
    }
    List<RecipientResult> results = new ArrayList<>(job.recipients().size());
    for (Mailbox r : job.recipients()) {
      RecipientResult found = null;
      for (RecipientResult x : raw) {
        if (x.recipient().sameAddress(r)) {
          found = x;
          break;
        }
      }
      results.add(
          found != null
              ? found
              : RecipientResult.ofFailure(r, true, "the transport returned no result", null));
    }
    return results;
  }

  private static List<RecipientResult> failAll(Job job, boolean temporary, String why) {
    String diagnostic = why == null ? "delivery failed" : why;
    return job.recipients().stream()
        .map(r -> RecipientResult.ofFailure(r, temporary, diagnostic, null))
        .toList();
  }

  /**
   * Stores the new state; the future completes with the listener events to send once it is
   * durable.
   */
  private CompletableFuture<List<Consumer<QueueListener>>> record(
      Job job, List<RecipientResult> results) {
    try {
      return recordNow(job, results);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<List<Consumer<QueueListener>>> recordNow(
      Job job, List<RecipientResult> results) {
    QueueId id = job.entry().id();
    List<Consumer<QueueListener>> events = new ArrayList<>();
    // A store of this process changes an entry only through this queue, which leaves an entry in
    // flight alone (a cancel marks the flight): the state the attempt started from is current.
    Optional<QueueEntry> stored = leased ? leasedState(id) : Optional.of(job.entry());
    if (stored.isEmpty()) {
      stored = store.entry(id);
    }
    if (stored.isEmpty()) {
      LOG.debug("{} is gone (cancelled, or finished by another instance); outcome dropped", id);
      return CompletableFuture.completedFuture(events);
    }
    QueueEntry current = stored.get();
    boolean cancelled = job.flight().cancelled; // volatile: set by cancel under the lock
    if (cancelled) {
      events.add(l -> l.cancelled(current));
      return store.deleteAsync(id).thenApply(v -> events);
    }
    Instant now = clock.instant();
    Instant expiry = current.created().plus(lifetime);
    List<RecipientState> states = new ArrayList<>();
    List<Mailbox> delivered = new ArrayList<>();
    List<Mailbox> expired = new ArrayList<>();
    for (RecipientState r : current.recipients()) {
      RecipientResult result =
          results.stream()
              .filter(x -> x.recipient().sameAddress(r.recipient()))
              .findFirst()
              .orElse(null);
      if (result == null || r.isFinal()) {
        states.add(r);
        continue;
      }
      switch (result.status()) {
        case DELIVERED -> {
          states.add(
              r.after(
                  result,
                  RecipientState.Status.DELIVERED,
                  now,
                  Optional.empty(),
                  result.diagnostic()));
          delivered.add(r.recipient());
        }
        case FAILED ->
            states.add(
                r.after(
                    result,
                    RecipientState.Status.FAILED,
                    now,
                    Optional.empty(),
                    result.diagnostic()));
        case DEFERRED -> {
          if (!now.isBefore(expiry)) {
            states.add(
                r.after(
                    result,
                    RecipientState.Status.FAILED,
                    now,
                    Optional.empty(),
                    BounceWriter.EXPIRED_PREFIX + result.diagnostic()));
            expired.add(r.recipient());
          } else {
            Instant next = now.plus(retry.delayAfter(r.attempts() + 1));
            if (next.isAfter(expiry)) {
              next = expiry;
            }
            states.add(
                r.after(
                    result,
                    RecipientState.Status.DEFERRED,
                    now,
                    Optional.of(next),
                    result.diagnostic()));
          }
        }
      }
    }
    QueueEntry updated = current.withRecipients(states);
    Optional<QueueId> warning = Optional.empty();
    if (delayWarning.isPresent()
        && !updated.delayWarned()
        && !updated.envelope().isBounce()
        && !updated.recipients(RecipientState.Status.DEFERRED).isEmpty()
        && !now.isBefore(updated.created().plus(delayWarning.get()))) {
      warning =
          Optional.of(
              notify(
                  job,
                  updated,
                  updated.recipients(RecipientState.Status.DEFERRED),
                  BounceWriter.Action.DELAYED,
                  now));
      updated = updated.withDelayWarned();
    }
    QueueEntry done = updated;
    events.add(l -> l.attemptFinished(done, results));
    for (Mailbox m : delivered) {
      events.add(l -> l.delivered(done, m));
    }
    for (Mailbox m : expired) {
      events.add(l -> l.expired(done, m));
    }
    warning.ifPresent(w -> events.add(l -> l.delayed(done, w)));
    if (done.isFinished()) {
      List<RecipientState> failed = done.recipients(RecipientState.Status.FAILED);
      Optional<QueueId> dsn = Optional.empty();
      if (!failed.isEmpty()) {
        if (done.envelope().isBounce()) {
          LOG.info(
              "notification {} undeliverable to {}; dropped (a bounce never bounces)",
              id,
              failed.get(0).recipient());
        } else {
          dsn = Optional.of(notify(job, done, failed, BounceWriter.Action.FAILED, now));
        }
      }
      CompletableFuture<List<Consumer<QueueListener>>> write =
          writeOutcome(job, done, true, events);
      if (!failed.isEmpty()) {
        Optional<QueueId> notice = dsn;
        events.add(l -> l.bounced(done, failed, notice));
      }
      events.add(l -> l.finished(done));
      if (LOG.isDebugEnabled()) { // the counts cost a list each, on the transport's thread
        LOG.debug(
            "{} finished: {} delivered, {} failed",
            id,
            done.recipients(RecipientState.Status.DELIVERED).size(),
            failed.size());
      }
      return write;
    }
    return writeOutcome(job, done, false, events);
  }

  /**
   * Returns the entry's state as this queue's lease on a shared store holds it, so recording an
   * outcome needs no read of the store: while the lease is held no other instance records an
   * attempt on the entry (it would need a newer claim, and then this outcome's lease-checked write
   * is refused), and a cancel of this queue's own is marked on the flight. Empty for work without
   * a lease, which reads the stored state instead.
   */
  private Optional<QueueEntry> leasedState(QueueId id) {
    if (!leased) {
      return Optional.empty();
    }
    synchronized (lock) {
      Flight f = inFlight.get(id);
      return f == null || f.lease == null ? Optional.empty() : Optional.of(f.lease.entry());
    }
  }

  /**
   * Writes the outcome of an attempt: on a shared store only while this queue still holds the
   * entry's lease. A refused write means the lease ran out and another instance took the entry
   * over; the outcome is then dropped, with the events and the notifications it caused, since the
   * new holder's attempt is the one that counts.
   */
  private CompletableFuture<List<Consumer<QueueListener>>> writeOutcome(
      Job job, QueueEntry done, boolean finished, List<Consumer<QueueListener>> events) {
    QueueId id = done.id();
    Optional<QueueLease> lease = leased ? takeLease(job) : Optional.empty();
    if (lease.isEmpty()) {
      CompletableFuture<Void> write = finished ? store.deleteAsync(id) : store.updateAsync(done);
      return write.thenApply(v -> events);
    }
    CompletableFuture<Boolean> write =
        finished ? store.deleteAsync(lease.get()) : store.updateAsync(lease.get(), done);
    return write.thenApply(
        applied -> {
          if (applied) {
            return events;
          }
          LOG.warn(
              "lease on {} (token {}) was lost to another instance; this attempt's outcome is"
                  + " dropped",
              id,
              lease.get().token());
          for (QueueId notice : job.notices()) {
            LOG.debug("dropping notification {} of the dropped outcome of {}", notice, id);
            store.delete(notice);
          }
          return new ArrayList<>();
        });
  }

  /**
   * Queues a delivery status notification for the sender of {@code entry}, durably. It is held
   * back from delivery until the listener has heard the outcome that caused it.
   */
  private QueueId notify(
      Job job,
      QueueEntry entry,
      List<RecipientState> recipients,
      BounceWriter.Action action,
      Instant now) {
    byte[] report;
    try {
      report =
          bounces.write(
              entry,
              recipients,
              action,
              store.message(entry.id()),
              now,
              Optional.of(entry.created().plus(lifetime)));
    } catch (IOException e) {
      throw new QueueStoreException(
          "cannot read " + entry.id() + " to write its notification", true, e);
    }
    Envelope envelope = Envelope.ofBounce(List.of(entry.envelope().reversePath().orElseThrow()));
    QueueEntry notice = QueueEntry.ofNew(QueueId.next(now), envelope, now);
    synchronized (lock) {
      inFlight.put(notice.id(), new Flight(null));
    }
    job.notices().add(notice.id());
    store.append(notice, Content.ofBytes(report));
    tell(l -> l.enqueued(notice));
    QueueId dsn = notice.id();
    LOG.debug("{} notification {} queued for {}", action.field, dsn, entry.id());
    return dsn;
  }

  private void tell(Consumer<QueueListener> event) {
    try {
      event.accept(listener);
    } catch (RuntimeException e) {
      LOG.warn("queue listener failed; ignored", e);
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  // ---------------------------------------------------------------- builder

  /**
   * Configures a {@link MailQueue}. The store and the transport are required; everything else has a
   * default. Not thread-safe.
   *
   * @since 0.1
   */
  public static final class Builder {
    private QueueStore store;
    private QueueTransport transport;
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private int workers = 8;
    private RetryPolicy retry = RetryPolicy.ofDefaults();
    private Duration lifetime;
    private int domainConcurrency = 2;
    private RateLimit domainRateLimit = RateLimit.unlimited();
    private RateLimit rateLimit = RateLimit.unlimited();
    private Duration delayWarning;
    private QueueListener listener = QueueListener.NONE;
    private String hostname = "localhost";
    private MessageSigner signer;
    private Duration pollInterval = Duration.ofSeconds(1);
    private Duration storeFailurePause = STORE_FAILURE_PAUSE;

    private Builder() {}

    /**
     * Sets how long dispatch pauses, and an entry whose outcome could not be stored is held, after
     * the store failed; default 1 minute. For tests of outages that should not wait that long.
     */
    Builder storeFailurePause(Duration value) {
      this.storeFailurePause = positive(value, "storeFailurePause");
      return this;
    }

    /**
     * Sets how often the queue looks for work on a store shared with other instances ({@link
     * QueueStore#supportsLeases()}): mail they queued, leases they gave back or let run out;
     * default 1 second. Unused with a store of one process, which tells the queue of every change.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder pollInterval(Duration value) {
      this.pollInterval = positive(value, "pollInterval");
      return this;
    }

    /**
     * Signs every message given to {@link MailQueue#enqueue(Envelope, Message)} or {@link
     * MailQueue#enqueueAsync(Envelope, Message)} once, at enqueue (for example {@link
     * dev.mailcore.smtp.dkim.DkimSigner}): the store keeps the signed bytes, so every attempt
     * sends exactly what was signed. Pre-rendered {@link Content} is stored as given, and
     * notifications are not signed. Default: no signing.
     */
    public Builder signer(MessageSigner value) {
      this.signer = Objects.requireNonNull(value, "signer");
      return this;
    }

    /** Sets where messages are kept; the queue closes it on {@link MailQueue#close()}. Required. */
    public Builder store(QueueStore value) {
      this.store = Objects.requireNonNull(value, "store");
      return this;
    }

    /** Sets how transactions reach the network. Required. */
    public Builder transport(QueueTransport value) {
      this.transport = Objects.requireNonNull(value, "transport");
      return this;
    }

    /**
     * Sets the clock for arrival times, back-off, lifetime and rate limits; default UTC system
     * clock.
     */
    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /**
     * Sets the scheduler that wakes the agent for retries and rate limits; it is not shut down by
     * the queue. Default: a daemon thread of the queue's own.
     */
    public Builder scheduler(ScheduledExecutorService value) {
      this.scheduler = Objects.requireNonNull(value, "scheduler");
      return this;
    }

    /**
     * Sets the most transactions in flight overall (started and not yet durably recorded), which
     * is also the number of worker threads for a transport that delivers on the caller's thread;
     * default 8. A non-blocking transport ({@link QueueTransport#relay}) takes each transaction
     * without a thread of its own, so its sessions can stream many of them, and the queue then
     * keeps only a few worker threads (one per processor, at least two) for its bookkeeping.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder workers(int value) {
      this.workers = positive(value, "workers");
      return this;
    }

    /**
     * Sets the back-off (and, unless {@link #lifetime} is set, the lifetime); default {@link
     * RetryPolicy#ofDefaults()}.
     */
    public Builder retry(RetryPolicy value) {
      this.retry = Objects.requireNonNull(value, "retry");
      return this;
    }

    /**
     * Sets how long a message may stay queued before its open recipients are bounced; default the
     * retry policy's (5 days).
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder lifetime(Duration value) {
      this.lifetime = positive(value, "lifetime");
      return this;
    }

    /**
     * Sets the most transactions in flight at once to one recipient domain; default 2.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder domainConcurrency(int value) {
      this.domainConcurrency = positive(value, "domainConcurrency");
      return this;
    }

    /** Limits messages per second and per day to each recipient domain; default unlimited. */
    public Builder domainRateLimit(RateLimit value) {
      this.domainRateLimit = Objects.requireNonNull(value, "domainRateLimit");
      return this;
    }

    /** Limits messages per second and per day overall; default unlimited. */
    public Builder rateLimit(RateLimit value) {
      this.rateLimit = Objects.requireNonNull(value, "rateLimit");
      return this;
    }

    /**
     * Sends the sender one delay warning (RFC 3464 {@code Action: delayed}) when a recipient is
     * still deferred {@code after} enqueue; default none.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder delayWarning(Duration after) {
      this.delayWarning = positive(after, "delayWarning");
      return this;
    }

    /** Sets the listener for queue events; default none. */
    public Builder listener(QueueListener value) {
      this.listener = Objects.requireNonNull(value, "listener");
      return this;
    }

    /**
     * Sets this host's name as notifications give it ({@code Reporting-MTA}, {@code
     * MAILER-DAEMON@host}); default {@code localhost}.
     *
     * @throws IllegalArgumentException when empty or not a plain host name
     */
    public Builder hostname(String value) {
      Objects.requireNonNull(value, "hostname");
      if (value.isEmpty() || !value.matches("[A-Za-z0-9.-]+")) {
        throw new IllegalArgumentException("not a host name: " + value);
      }
      this.hostname = value;
      return this;
    }

    /**
     * Builds the queue and starts delivering what the store already holds.
     *
     * @throws IllegalStateException when the store or the transport is missing
     */
    public MailQueue build() {
      if (store == null || transport == null) {
        throw new IllegalStateException("a queue needs a store and a transport");
      }
      MailQueue queue = new MailQueue(this);
      queue.pump();
      queue.startHeartbeat();
      return queue;
    }

    private static Duration positive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    private static int positive(int value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }
  }
}
