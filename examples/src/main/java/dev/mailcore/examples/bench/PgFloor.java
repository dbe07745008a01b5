package dev.mailcore.examples.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The floor of a durable mail queue in PostgreSQL: the least SQL any such queue must run per
 * message, measured on the server the {@code PostgresQueueStore} runs on, so its cost per message
 * can be set against it. A message is one row of an id and its bytes; producers insert groups of
 * rows in one statement ({@code unnest} of a {@code bytea[]}), one commit per group, as group
 * commit does; consumers take and finish a claim in one statement and one commit ({@code DELETE
 * ... WHERE id = ANY (ARRAY(SELECT id ... FOR UPDATE SKIP LOCKED LIMIT n)) RETURNING body}). No
 * lease, no recipients, no due time, no second statement per claim: less than a queue that
 * survives a crashed consumer can do.
 *
 * <p>Three phases, each with what it cost the server per message ({@link PgCost}, from {@code
 * /proc}): inserting alone, draining alone, and both at once (producers and consumers running
 * together, as end to end).
 *
 * <p>Arguments: {@code jdbcUrl [messages [bytes [producers [group [consumers [claim]]]]]]}, default
 * 20000 10240 2 64 2 32 (two stores in the end-to-end benchmark: two committers of appends, two
 * claimers). {@code -Dbench.body=base64} sends random base64 lines instead of the alphabet, which
 * does not compress; {@code -Dbench.storage=external} (or another storage) sets the column's
 * storage, {@code external} keeping the bytes out of line uncompressed. Single-threaded setup; the phases run on their own threads.
 */
public final class PgFloor {

  private static final String TABLE = "bench_floor_q";

  private PgFloor() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println(
          "usage: PgFloor jdbcUrl [messages [bytes [producers [group [consumers [claim]]]]]]");
      System.exit(2);
    }
    int messages = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    int size = args.length > 2 ? Integer.parseInt(args[2]) : 10 * 1024;
    int producers = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    int group = args.length > 4 ? Integer.parseInt(args[4]) : 64;
    int consumers = args.length > 5 ? Integer.parseInt(args[5]) : 2;
    int claim = args.length > 6 ? Integer.parseInt(args[6]) : 32;
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(args[0]);
    PgCost cost = new PgCost(ds);
    if (!cost.findServer()) {
      System.out.println("(server CPU not shown: the server is not a process of this host)");
    }
    byte[] body = PgQueueBenchmark.body(size);
    System.out.printf(
        Locale.ROOT,
        "floor: %d messages of %d bytes, %d producers x %d per insert, %d consumers x %d per"
            + " claim%n",
        messages,
        size,
        producers,
        group,
        consumers,
        claim);
    // connections opened once for all phases: a backend that ends mid-run would move its CPU into
    // the next phase's figure when the postmaster reaps it
    List<Connection> connections = new ArrayList<>();
    for (int i = 0; i < producers + consumers; i++) {
      connections.add(ds.getConnection());
    }
    for (int round = 0; round < 2; round++) {
      String label = round == 0 ? "warm-up" : "measured";
      create(ds);
      PgCost.Sample s0 = cost.sample();
      double insertSeconds = insert(connections, messages, producers, group, body);
      PgCost.Sample s1 = cost.sample();
      double drainSeconds = drain(connections, messages, consumers, claim, size);
      PgCost.Sample s2 = cost.sample();
      double bothSeconds =
          both(connections, messages, producers, group, consumers, claim, body, size);
      PgCost.Sample s3 = cost.sample();
      System.out.printf(
          Locale.ROOT,
          "  %s: insert %,7.0f msg/s %5.1f us server CPU; claim+delete %,7.0f msg/s %5.1f us;"
              + " both at once %,7.0f msg/s %5.1f us%n",
          label,
          messages / insertSeconds,
          serverMicros(s0, s1, messages),
          messages / drainSeconds,
          serverMicros(s1, s2, messages),
          messages / bothSeconds,
          serverMicros(s2, s3, messages));
    }
    for (Connection c : connections) {
      c.close();
    }
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + TABLE);
    }
  }

  private static double serverMicros(PgCost.Sample from, PgCost.Sample to, int messages) {
    if (from.serverNanos() < 0 || to.serverNanos() < 0) {
      return Double.NaN;
    }
    return (to.serverNanos() - from.serverNanos()) / 1e3 / messages;
  }

  private static void create(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + TABLE);
      s.execute(
          "CREATE TABLE "
              + TABLE
              + " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body bytea NOT NULL)");
      // as the store keeps its bytes, where the server has LZ4
      s.execute(
          "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_settings WHERE name ="
              + " 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN EXECUTE 'ALTER"
              + " TABLE "
              + TABLE
              + " ALTER COLUMN body SET COMPRESSION lz4'; END IF; END $$");
      String storage = System.getProperty("bench.storage");
      if (storage != null) {
        // -Dbench.storage=external: bytes out of line uncompressed, no compression tried
        s.execute("ALTER TABLE " + TABLE + " ALTER COLUMN body SET STORAGE " + storage);
      }
    }
  }

  /** Inserts {@code messages} rows from {@code producers} threads, {@code group} per statement. */
  private static double insert(
      List<Connection> connections, int messages, int producers, int group, byte[] body)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger thread = new AtomicInteger();
    return PgQueueBenchmark.onThreads(
        producers,
        () -> produce(connections.get(thread.getAndIncrement()), next, messages, group, body));
  }

  private static void produce(
      Connection c, AtomicInteger next, int messages, int group, byte[] body) throws Exception {
    try (PreparedStatement s =
            c.prepareStatement("INSERT INTO " + TABLE + " (body) SELECT unnest(?::bytea[])")) {
      while (true) {
        int from = next.getAndAdd(group);
        if (from >= messages) {
          return;
        }
        int n = Math.min(group, messages - from);
        byte[][] rows = new byte[n][];
        for (int i = 0; i < n; i++) {
          rows[i] = body;
        }
        s.setArray(1, c.createArrayOf("bytea", rows));
        s.executeUpdate();
      }
    }
  }

  /** Claims and finishes every row, {@code claim} per statement, from {@code consumers} threads. */
  private static double drain(
      List<Connection> connections, int messages, int consumers, int claim, int size)
      throws Exception {
    AtomicInteger done = new AtomicInteger();
    AtomicInteger thread = new AtomicInteger();
    double seconds =
        PgQueueBenchmark.onThreads(
            consumers,
            () -> consume(connections.get(thread.getAndIncrement()), done, messages, claim, size,
                false));
    check(done, messages);
    return seconds;
  }

  /**
   * Takes rows until {@code messages} are done in all; with {@code waiting}, an empty claim means
   * the producers are behind, so it tries again.
   */
  private static void consume(
      Connection c, AtomicInteger done, int messages, int claim, int size, boolean waiting)
      throws Exception {
    try (PreparedStatement s =
            c.prepareStatement(
                "DELETE FROM "
                    + TABLE
                    + " WHERE id = ANY (ARRAY(SELECT id FROM "
                    + TABLE
                    + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)) RETURNING body")) {
      s.setInt(1, claim);
      while (done.get() < messages) {
        int n = 0;
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            if (rs.getBytes(1).length != size) {
              throw new IllegalStateException("a row lost bytes");
            }
            n++;
          }
        }
        done.addAndGet(n);
        if (n == 0 && !waiting) {
          return;
        }
        if (n == 0) {
          Thread.sleep(1); // the producers are behind: an empty claim costs the server too
        }
      }
    }
  }

  /** Producers and consumers at once; returns the seconds until every message is taken. */
  private static double both(
      List<Connection> connections,
      int messages,
      int producers,
      int group,
      int consumers,
      int claim,
      byte[] body,
      int size)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger thread = new AtomicInteger();
    double seconds =
        PgQueueBenchmark.onThreads(
            producers + consumers,
            () -> {
              int t = thread.getAndIncrement();
              if (t < producers) {
                produce(connections.get(t), next, messages, group, body);
              } else {
                consume(connections.get(t), done, messages, claim, size, true);
              }
            });
    check(done, messages);
    return seconds;
  }

  private static void check(AtomicInteger done, int messages) {
    if (done.get() != messages) {
      throw new IllegalStateException("took " + done.get() + " of " + messages);
    }
  }
}
