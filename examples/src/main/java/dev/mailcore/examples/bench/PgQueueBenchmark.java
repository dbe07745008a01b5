package dev.mailcore.examples.bench;

import dev.mailcore.Content;
import dev.mailcore.DsnOptions;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.SmtpRelay;
import dev.mailcore.smtp.queue.FileQueueStore;
import dev.mailcore.smtp.queue.MailQueue;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueId;
import dev.mailcore.smtp.queue.QueueLease;
import dev.mailcore.smtp.queue.QueueListener;
import dev.mailcore.smtp.queue.QueueStore;
import dev.mailcore.smtp.queue.QueueTransport;
import dev.mailcore.smtp.queue.jdbc.PostgresQueueStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.ds.PGPoolingDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Measures the {@link PostgresQueueStore} against the naive way on the same database in the same
 * run: enqueue from several producers with group commit against one message per transaction, and
 * claim → read → complete with claims of 32 against claiming one entry at a time. Each variant
 * works in a table prefix of its own, dropped before and after.
 *
 * <p>Last, end to end to a local SMTP sink (enqueue and delivery): two {@link MailQueue} instances
 * on one PostgreSQL store against one on a {@link FileQueueStore}, with the same sessions in all.
 *
 * <p>Every figure comes with what it cost per message ({@link PgCost}): CPU of this JVM (producers
 * and the SMTP sink included), CPU of the PostgreSQL server when it runs on this host (all its
 * processes, from {@code /proc}), and database round trips (statements executed, commits,
 * rollbacks), counted for the baselines and for the store alike.
 *
 * <p>The stores share a HikariCP pool, as an application's would be ({@code -Dbench.pool=driver}:
 * the driver's deprecated PGPoolingDataSource instead). {@code -Dbench.body=base64} sends random
 * base64 lines instead of the alphabet over and over, so the bytes do not compress into the row.
 *
 * <p>Arguments: {@code jdbcUrl [messages [threads [bytes [e2eMessages]]]]}, default 4000 8 10240
 * 10000 (0 skips the end-to-end part; {@code -Dbench.e2eOnly=true} runs only it, {@code
 * -Dbench.pgOnly=true} only its PostgreSQL rounds, for profiling); the URL names
 * the user, e.g. {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}. Run: {@code mvn
 * -q -B -o -pl examples -am install -DskipTests}, then {@code mvn -q -o -pl examples exec:java
 * -Dexec.mainClass=dev.mailcore.examples.bench.PgQueueBenchmark -Dexec.args="jdbc:..."}.
 */
public final class PgQueueBenchmark {

  private static final Mailbox FROM = Mailbox.of("bench", "shop.example");
  private static final Mailbox TO = Mailbox.of("rcpt", "example.net");

  private PgQueueBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: PgQueueBenchmark jdbcUrl [messages [threads [bytes]]]");
      System.exit(2);
    }
    int messages = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    int size = args.length > 3 ? Integer.parseInt(args[3]) : 10 * 1024;
    int e2e = args.length > 4 ? Integer.parseInt(args[4]) : 10_000;
    Pool pooled = pool(args[0], threads * 4);
    DataSource pool = pooled.dataSource();
    try {
      printSettings(pool);
      PgCost cost = new PgCost(pool);
      if (!cost.findServer()) {
        System.out.println("(server CPU not shown: the server is not a process of this host)");
      }
      DataSource ds = cost.dataSource();
      byte[] body = body(size);
      System.out.printf(
          Locale.ROOT, "%d messages of %d bytes, %d threads%n", messages, size, threads);

      if (Boolean.getBoolean("bench.e2eOnly")) {
        // -Dbench.e2eOnly=true: the end-to-end part alone (for profiling it)
        endToEnd(ds, cost, pool, e2e, threads, body);
        return;
      }
      Phase baseline = enqueue(ds, cost, "bench_one_", 1, 0, messages, threads, body);
      Phase grouped = enqueue(ds, cost, "bench_group_", 64, 0, messages, threads, body);
      Phase async = enqueue(ds, cost, "bench_async_", 64, 32, messages, threads, body);
      System.out.printf(
          Locale.ROOT,
          "enqueue, one message per transaction: %,10.0f msg/s          %s%n",
          baseline.rate(),
          baseline.cost());
      System.out.printf(
          Locale.ROOT,
          "enqueue, group commit:                %,10.0f msg/s  (%4.1fx) %s%n",
          grouped.rate(),
          grouped.rate() / baseline.rate(),
          grouped.cost());
      System.out.printf(
          Locale.ROOT,
          "enqueue, group commit, 32 async each: %,10.0f msg/s  (%4.1fx) %s%n",
          async.rate(),
          async.rate() / baseline.rate(),
          async.cost());

      Phase one = drain(ds, cost, "bench_one_", 1, threads);
      Phase batch = drain(ds, cost, "bench_group_", 32, threads);
      System.out.printf(
          Locale.ROOT,
          "claim->read->complete, claim 1:       %,10.0f msg/s          %s%n",
          one.rate(),
          one.cost());
      System.out.printf(
          Locale.ROOT,
          "claim->read->complete, claim 32:      %,10.0f msg/s  (%4.1fx) %s%n",
          batch.rate(),
          batch.rate() / one.rate(),
          batch.cost());
      if (e2e > 0) {
        endToEnd(ds, cost, pool, e2e, threads, body);
      }
    } finally {
      drop(pool, "bench_e2e_");
      drop(pool, "bench_one_");
      drop(pool, "bench_group_");
      drop(pool, "bench_async_");
      pooled.closer().close();
    }
  }

  /** The connection pool of a run, and how to close it. */
  private record Pool(DataSource dataSource, AutoCloseable closer) {}

  /**
   * The pool the stores share: HikariCP, as an application would give the store (a fixed pool of
   * {@code size} connections), or with {@code -Dbench.pool=driver} the driver's deprecated
   * PGPoolingDataSource, which earlier figures were taken with: it wraps every connection and
   * statement in a reflective proxy, so every JDBC call pays a {@code Method.invoke}.
   */
  @SuppressWarnings("deprecation") // PGPoolingDataSource, on request only
  private static Pool pool(String url, int size) {
    if ("driver".equals(System.getProperty("bench.pool", "hikari"))) {
      PGPoolingDataSource driver = new PGPoolingDataSource();
      driver.setDataSourceName("mailcore-pg-bench");
      driver.setUrl(url);
      driver.setMaxConnections(size);
      return new Pool(driver, driver::close);
    }
    PGSimpleDataSource simple = new PGSimpleDataSource();
    simple.setUrl(url);
    HikariConfig config = new HikariConfig();
    config.setDataSource(simple);
    config.setPoolName("mailcore-pg-bench");
    config.setMaximumPoolSize(size);
    HikariDataSource hikari = new HikariDataSource(config);
    return new Pool(hikari, hikari);
  }

  /**
   * The message bytes: the alphabet over and over (LZ4 makes 84 bytes of 10 KB, so the row keeps
   * them inline), or with {@code -Dbench.body=base64} random base64 lines, as an attachment is
   * sent (about three quarters of their size after compression: PostgreSQL moves them out of the
   * row, into its TOAST table).
   */
  static byte[] body(int size) {
    byte[] body = new byte[size];
    if ("base64".equals(System.getProperty("bench.body"))) {
      java.util.Random random = new java.util.Random(42);
      String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      for (int i = 0; i < size; i++) {
        int column = i % 78;
        char c = column == 76 ? '\r' : column == 77 ? '\n' : alphabet.charAt(random.nextInt(64));
        body[i] = (byte) c;
      }
      return body;
    }
    for (int i = 0; i < size; i++) {
      body[i] = (byte) ('a' + i % 26);
    }
    return body;
  }

  /** A rate and what it cost per message. */
  private record Phase(double rate, String cost) {}

  private static PostgresQueueStore store(DataSource pool, String prefix, int group) {
    return PostgresQueueStore.builder()
        .dataSource(pool)
        .tablePrefix(prefix)
        .groupCommit(group)
        .leaseDuration(Duration.ofMinutes(5))
        .build();
  }

  /** Appends {@code messages} from {@code threads} producers; returns messages per second. */
  private static Phase enqueue(
      DataSource pool,
      PgCost cost,
      String prefix,
      int group,
      int window,
      int messages,
      int threads,
      byte[] body)
      throws Exception {
    drop(pool, prefix);
    try (PostgresQueueStore store = store(pool, prefix, group)) {
      Envelope env = new Envelope(Optional.of(FROM), List.of(TO), DsnOptions.none());
      Instant now = Instant.now();
      AtomicInteger next = new AtomicInteger();
      PgCost.Sample start = cost.sample();
      double seconds =
          onThreads(
              threads,
              () -> {
                int i;
                List<CompletableFuture<Void>> inFlight = new ArrayList<>();
                while ((i = next.getAndIncrement()) < messages) {
                  QueueEntry e =
                      QueueEntry.ofNew(new QueueId(prefix.replace("_", "") + i), env, now);
                  if (window == 0) {
                    store.append(e, Content.ofBytes(body));
                    continue;
                  }
                  inFlight.add(store.appendAsync(e, Content.ofBytes(body)));
                  if (inFlight.size() == window) {
                    inFlight.remove(0).join();
                  }
                }
                inFlight.forEach(CompletableFuture::join);
              });
      String spent = cost.since(start, messages);
      if (store.size() != messages) {
        throw new IllegalStateException("stored " + store.size() + " of " + messages);
      }
      return new Phase(messages / seconds, spent);
    }
  }

  /** Claims, reads every byte of, and completes everything queued; returns messages per second. */
  private static Phase drain(
      DataSource pool, PgCost cost, String prefix, int claimSize, int threads) throws Exception {
    try (PostgresQueueStore store = store(pool, prefix, claimSize == 1 ? 1 : 64)) {
      int queued = store.size();
      Instant now = Instant.now().plusSeconds(1);
      AtomicInteger completed = new AtomicInteger();
      PgCost.Sample start = cost.sample();
      double seconds =
          onThreads(
              threads,
              () -> {
                byte[] buf = new byte[8192];
                List<CompletableFuture<Boolean>> done = new ArrayList<>();
                List<QueueLease> leases;
                while (!(leases = store.claim(now, claimSize)).isEmpty()) {
                  for (QueueLease lease : leases) {
                    try (InputStream in = store.message(lease.id()).open()) {
                      while (in.read(buf) > 0) {
                        // read as a delivery would, to the end
                      }
                    }
                    if (claimSize == 1) {
                      if (store.delete(lease)) {
                        completed.incrementAndGet();
                      }
                    } else {
                      // the whole claim's removals share one statement and one commit
                      done.add(store.deleteAsync(lease));
                    }
                  }
                  for (CompletableFuture<Boolean> d : done) {
                    if (d.join()) {
                      completed.incrementAndGet();
                    }
                  }
                  done.clear();
                }
              });
      String spent = cost.since(start, queued);
      if (completed.get() != queued) {
        throw new IllegalStateException("completed " + completed.get() + " of " + queued);
      }
      return new Phase(queued / seconds, spent);
    }
  }

  /** Sessions to the sink in all; each of the two PostgreSQL instances gets half. */
  private static final int SESSIONS = 4;

  /** Transactions each session keeps in flight (the relay's default window). */
  private static final int WINDOW_PER_SESSION = 16;

  /**
   * End to end to a local SMTP sink, enqueue included: two {@link MailQueue} instances on one
   * PostgreSQL store (each enqueuing half the messages, each with half the sessions) against one
   * {@link MailQueue} on a {@link FileQueueStore} with all the sessions. Rounds alternate, after
   * {@link #WARM_UP_ROUNDS} rounds of each that are not counted, so both sides run compiled code:
   * the JIT compiler otherwise takes a third of the CPU of the first rounds, and longer on the
   * side with more code (the driver's; after three warm-up rounds it still took 50–190 µs of the
   * PostgreSQL side's 260–340 µs of JVM CPU per message); medians reported. {@code
   * -Dbench.warmup=N} sets the warm-up rounds.
   */
  private static final int WARM_UP_ROUNDS = Integer.getInteger("bench.warmup", 6);

  /** {@code -Dbench.pgOnly=true}: the PostgreSQL rounds alone, for profiling them; no ratio. */
  private static final boolean PG_ONLY = Boolean.getBoolean("bench.pgOnly");

  private static void endToEnd(
      DataSource ds, PgCost cost, DataSource pool, int messages, int threads, byte[] body)
      throws Exception {
    int rounds = 5;
    double[] file = new double[rounds];
    double[] pg = new double[rounds];
    try (SmtpSink sink = new SmtpSink(true, false)) {
      for (int round = -WARM_UP_ROUNDS; round < rounds; round++) {
        boolean warmUp = round < 0;
        String label =
            warmUp ? "warm-up " + (round + WARM_UP_ROUNDS + 1) : "round " + (round + 1);
        if (!PG_ONLY) {
          double rate = fileRound(sink, cost, label, messages, threads, body);
          if (!warmUp) {
            file[round] = rate;
          }
        }
        drop(pool, "bench_e2e_");
        CountDownLatch done = new CountDownLatch(messages);
        int half = SESSIONS / 2;
        try (SmtpRelay relayA = relay(sink, half);
            SmtpRelay relayB = relay(sink, half);
            MailQueue a = queue(store(ds, "bench_e2e_", 64), relayA, half, done);
            MailQueue b = queue(store(ds, "bench_e2e_", 64), relayB, half, done)) {
          double rate =
              measured(label + ", PostgreSQL", cost, List.of(a, b), messages, threads, body, done);
          if (!warmUp) {
            pg[round] = rate;
          }
        }
      }
    }
    double fileRate = median(file);
    double pgRate = median(pg);
    System.out.printf(
        Locale.ROOT,
        "end to end, %d x %d bytes enqueued and delivered to a local SMTP sink, %d sessions in"
            + " all, median of %d rounds after %d warm-up rounds of each%n",
        messages,
        body.length,
        SESSIONS,
        rounds,
        WARM_UP_ROUNDS);
    System.out.printf(
        Locale.ROOT, "  one MailQueue on FileQueueStore       : %8.0f msg/s%n", fileRate);
    System.out.printf(
        Locale.ROOT,
        "  two MailQueues on one PostgreSQL store: %8.0f msg/s  %5.0f %% of the file queue%n",
        pgRate,
        100 * pgRate / fileRate);
  }

  /** One round on a {@link FileQueueStore} in a fresh directory; returns its rate. */
  private static double fileRound(
      SmtpSink sink, PgCost cost, String label, int messages, int threads, byte[] body)
      throws Exception {
    Path dir = Files.createTempDirectory("mailcore-pg-bench-file");
    try {
      CountDownLatch done = new CountDownLatch(messages);
      try (SmtpRelay relay = relay(sink, SESSIONS);
          MailQueue queue = queue(FileQueueStore.open(dir), relay, SESSIONS, done)) {
        String what = label + ", file queue";
        return measured(what, cost, List.of(queue), messages, threads, body, done);
      }
    } finally {
      deleteTree(dir);
    }
  }

  private static SmtpRelay relay(SmtpSink sink, int sessions) {
    return SmtpRelay.builder()
        .host("127.0.0.1")
        .port(sink.port())
        .tls(TlsMode.NONE)
        .maxConnections(sessions)
        .maxMessagesPerSession(1_000_000)
        .build();
  }

  private static MailQueue queue(
      QueueStore store, SmtpRelay relay, int sessions, CountDownLatch done) {
    return MailQueue.builder()
        .store(store)
        .transport(QueueTransport.relay(relay))
        .workers(sessions * WINDOW_PER_SESSION)
        .domainConcurrency(sessions * WINDOW_PER_SESSION)
        .listener(
            new QueueListener() {
              @Override
              public void finished(QueueEntry entry) {
                done.countDown();
              }
            })
        .build();
  }

  /**
   * Enqueues {@code messages} from {@code threads} producers spread over the queues (each keeping
   * 32 enqueues in flight) and waits until all are delivered; returns messages per second.
   */
  /** Runs {@link #produce} and prints its rate and cost as {@code what}; returns the rate. */
  private static double measured(
      String what,
      PgCost cost,
      List<MailQueue> queues,
      int messages,
      int threads,
      byte[] body,
      CountDownLatch done)
      throws Exception {
    PgCost.Sample start = cost.sample();
    double rate = produce(queues, messages, threads, body, done);
    System.out.printf(
        Locale.ROOT, "  %s: %,6.0f msg/s, %s%n", what, rate, cost.since(start, messages));
    return rate;
  }

  private static double produce(
      List<MailQueue> queues, int messages, int threads, byte[] body, CountDownLatch done)
      throws Exception {
    Content content = Content.ofBytes(body);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger producer = new AtomicInteger();
    long start = System.nanoTime();
    onThreads(
        threads,
        () -> {
          MailQueue queue = queues.get(producer.getAndIncrement() % queues.size());
          Semaphore inFlight = new Semaphore(32);
          for (int i; (i = next.getAndIncrement()) < messages; ) {
            inFlight.acquire();
            queue.enqueueAsync(envelope(i), content).whenComplete((id, e) -> inFlight.release());
          }
          inFlight.acquire(32);
        });
    if (!done.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException(done.getCount() + " messages not delivered");
    }
    return messages / ((System.nanoTime() - start) / 1e9);
  }

  private static Envelope envelope(int i) {
    return Envelope.of(FROM, List.of(Mailbox.of("u" + (i % 100), "d" + (i % 7) + ".example")));
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Work of one thread. */
  @FunctionalInterface
  interface Work {
    void run() throws Exception;
  }

  /** Runs {@code work} on {@code threads} threads at once; returns the seconds until all end. */
  static double onThreads(int threads, Work work) throws Exception {
    ExecutorService workers = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            workers.submit(
                () -> {
                  work.run();
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      return (System.nanoTime() - start) / 1e9;
    } finally {
      workers.shutdown();
    }
  }

  private static void printSettings(DataSource pool) throws Exception {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      StringBuilder sb = new StringBuilder("PostgreSQL");
      for (String name :
          List.of(
              "server_version",
              "fsync",
              "synchronous_commit",
              "wal_sync_method",
              "full_page_writes",
              "commit_delay",
              "shared_buffers",
              "wal_buffers",
              "max_wal_size")) {
        try (ResultSet rs = s.executeQuery("SHOW " + name)) {
          rs.next();
          sb.append(' ').append(name).append('=').append(rs.getString(1));
        }
      }
      System.out.println(sb);
    }
  }

  private static void drop(DataSource pool, String prefix) throws Exception {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      for (String t : List.of("chunk", "recipient", "entry", "daily_count", "schema_version")) {
        s.execute("DROP TABLE IF EXISTS \"" + prefix + t + "\"");
      }
    }
  }
}
