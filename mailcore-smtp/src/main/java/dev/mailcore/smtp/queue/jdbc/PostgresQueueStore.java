package dev.mailcore.smtp.queue.jdbc;

import dev.mailcore.Content;
import dev.mailcore.DsnOptions;
import dev.mailcore.EnhancedStatus;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.ServerReply;
import dev.mailcore.smtp.queue.QueueClaim;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueId;
import dev.mailcore.smtp.queue.QueueLease;
import dev.mailcore.smtp.queue.QueueStore;
import dev.mailcore.smtp.queue.QueueStoreException;
import dev.mailcore.smtp.queue.RecipientState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueueStore} in PostgreSQL (13 or newer), so that several instances of an application
 * share one mail queue: a message accepted by any instance is delivered by whichever is free and
 * survives the loss of any of them. The application supplies the {@link DataSource} (a pool, as a
 * rule) and the JDBC driver; this class needs only {@code java.sql}.
 *
 * <p>The store creates and migrates its tables itself when built (a version table; safe when
 * several instances start at once). An entry is one row: its recipients are arrays in it, and so
 * are the bytes of a message that fits in one chunk (about 1 MiB); a larger message is kept in
 * chunk rows and streamed both ways, so it never sits in memory whole. Entries that an instance of
 * a version before schema 6 writes while it still runs next to this one (recipients and bytes in
 * rows of their own) are taken over once unleased, and entries of this version are never claimed
 * by such an instance. Work is handed out by {@link
 * QueueLease}: {@link #claim(Instant, int)} leases due entries to this instance with one short
 * {@code FOR UPDATE SKIP LOCKED} statement, setting the owner, a lease expiry on the database clock
 * and a fresh lease token; {@link #renew} is the heartbeat; the lease-taking {@link
 * #update(QueueLease, QueueEntry)} and {@link #delete(QueueLease)} apply only while no newer claim
 * was made, so an instance that stalled past its lease cannot overwrite the work of the instance
 * that rescued the entry. An expired lease is claimable by every instance. No transaction stays
 * open between calls, so none is open while SMTP talks.
 *
 * <p>Concurrent {@link #append appends} are group-committed: while one transaction commits, the
 * next collects every append that arrives meanwhile (up to {@link Builder#groupCommit(int)}) and
 * commits them together; a group of messages that fit in one chunk is a single insert (entries,
 * recipients and bytes through {@code unnest} arrays), so it costs one round trip and one commit;
 * a plain insert, unless an append of the group has an idempotency key or an id turns out taken
 * (then one that skips conflicts). Lease-checked outcomes ({@link #update(QueueLease, QueueEntry)}, {@link #delete(QueueLease)} and
 * their asynchronous forms) are group-committed the same way, a group in one statement. A claim
 * returns one row per entry straight from its update, recipients as the row's arrays, and brings
 * the bytes of small messages (up to 64 KiB) along, kept until the lease ends, so a delivery
 * reads them without another round trip, and {@link #claimDue} says in the same statement when the
 * next entry falls due. Claims, outcomes, renewals and releases turn sequential scans off for
 * their own transaction (a local {@code set_config} in the same round trip) and reach every table
 * through {@code = ANY (ARRAY(...))}, with generic plans forced, so the plan the server caches
 * looks rows up by index, even when made while the queue was nearly empty, and is not made again
 * on every execution; message bytes are LZ4-compressed where the server supports it, claims update
 * entry rows in place (no index on the lease columns), and the chunks of a large message are
 * removed in the statement that removes its entry (no foreign keys, whose triggers cost a query
 * per row). Commits stay
 * synchronous ({@code synchronous_commit} as the server has it, on by default): what a call
 * acknowledged is durable. Per-day rate limits are counted in the database for every instance
 * ({@link #takeDaily}).
 *
 * <p>Each call takes a connection from the data source and returns it at once, so none is held
 * while SMTP talks; when a connection is lost (SQLState class 08, or the server ending the session,
 * 57P01 to 57P03), reads and writes that are safe to repeat are retried on another connection. Give
 * the store a pool (HikariCP, say): without one, every call opens a new PostgreSQL session.
 *
 * <p>The plain {@link #due} and {@link #update(QueueEntry)} ignore leases, as single-process stores
 * do; instances sharing the tables must take work with {@link #claim(Instant, int)} and record
 * outcomes with the lease-taking writes, or two of them may deliver one message.
 *
 * <p>Thread-safe. Instants are stored to the microsecond, as PostgreSQL {@code timestamptz} keeps
 * them.
 *
 * <pre>{@code
 * QueueStore store = PostgresQueueStore.builder()
 *     .dataSource(pool)
 *     .owner("mx-1")
 *     .leaseDuration(Duration.ofMinutes(5))
 *     .build();
 * }</pre>
 *
 * @since 0.1
 */
public final class PostgresQueueStore implements QueueStore {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresQueueStore.class);
  private static final int ATTEMPTS = 3;
  private static final int DEFAULT_CHUNK = 1 << 20;

  /** Messages up to this size are read with their entry's size, in one query. */
  private static final int INLINE_MESSAGE = 64 << 10;

  private final DataSource dataSource;
  private final PostgresSchema schema;
  private final String owner;
  private final Duration leaseDuration;
  private final Clock clock;
  private final int chunkSize;
  private final int groupCommit;
  private final String entryColumns;
  private final String recipientColumns;
  /** {@link #writeState}'s statement without a lease token, built once. */
  private final String writeStateSql;
  /** {@link #writeState}'s statement with a lease token, built once. */
  private final String writeLeasedStateSql;
  /** The insert of a group, plain and skipping conflicts ({@link #insertEntriesSql}). */
  private final String insertSql;

  private final String insertSkippingSql;

  private final GroupCommit<Pending> appends;
  private final GroupCommit<Outcome> outcomes;
  private volatile boolean closed;

  /**
   * Bytes of small messages that came along with their claim, so the delivery reads them without a
   * round trip; dropped when the lease ends. Bounded by {@link #INLINE_CACHE_BYTES}.
   */
  private final Map<QueueId, Inline> inline = new ConcurrentHashMap<>();

  private final AtomicLong inlineBytes = new AtomicLong();

  /** Message bytes read with the claim of lease {@code token}. */
  private record Inline(long token, byte[] bytes) {}

  /** One append waiting for a group commit. */
  private static final class Pending extends GroupCommit.Item {
    final QueueEntry entry;
    final Content message;
    final String key;
    QueueId stored;
    byte[] bytes; // the whole message, when it fits in one chunk

    Pending(QueueEntry entry, Content message, String key) {
      this.entry = entry;
      this.message = message;
      this.key = key;
    }
  }

  /** One lease-checked outcome waiting for a group commit: new state, or removal (null). */
  private static final class Outcome extends GroupCommit.Item {
    final QueueLease lease;
    final QueueEntry entry;
    boolean applied;

    Outcome(QueueLease lease, QueueEntry entry) {
      this.lease = lease;
      this.entry = entry;
    }
  }

  /** Work on one connection. */
  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection c, boolean retry) throws SQLException, IOException;
  }

  private PostgresQueueStore(Builder b) {
    this.dataSource = b.dataSource;
    this.schema = new PostgresSchema(b.schema, b.tablePrefix);
    this.owner = b.owner != null ? b.owner : defaultOwner();
    this.leaseDuration = b.leaseDuration;
    this.clock = b.clock;
    this.chunkSize = b.chunkSize;
    this.groupCommit = b.groupCommit;
    this.appends = new GroupCommit<>("mailcore-pg-queue-commit", groupCommit, this::commitGroup);
    this.outcomes =
        new GroupCommit<>("mailcore-pg-queue-outcomes", groupCommit, this::commitOutcomes);
    this.entryColumns =
        "e.id, e.reverse_local, e.reverse_domain, e.dsn_notify, e.dsn_ret, e.dsn_envid, e.created,"
            + " e.delay_warned";
    this.recipientColumns =
        "r.local_part, r.domain, r.status, r.attempts, r.next_attempt, r.last_attempt,"
            + " r.reply_code, r.reply_status, r.reply_text, r.diagnostic, r.remote_host";
    this.writeStateSql = stateUpdateSql(schema, false);
    this.writeLeasedStateSql = stateUpdateSql(schema, true);
    this.insertSql = insertEntriesSql(false);
    this.insertSkippingSql = insertEntriesSql(true);
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  private static String defaultOwner() {
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    StringBuilder sb = new StringBuilder("pid").append(ProcessHandle.current().pid()).append('-');
    for (byte x : random) {
      sb.append(String.format(Locale.ROOT, "%02x", x));
    }
    return sb.toString();
  }

  /** Returns true: instances sharing the tables take work by lease. */
  @Override
  public boolean supportsLeases() {
    return true;
  }

  /** Returns the owner id this instance claims leases under. */
  public String owner() {
    return owner;
  }

  /** Returns how many appends wait for the next group commit; for tests. */
  int pendingAppends() {
    return appends.pending();
  }

  /** Returns how long a claim or a renewal leases an entry. */
  @Override
  public Duration leaseDuration() {
    return leaseDuration;
  }

  // ---------------------------------------------------------------- append

  @Override
  public void append(QueueEntry entry, Content message) {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(message, "message");
    QueueId stored = submit(new Pending(entry, message, null));
    if (!stored.equals(entry.id())) {
      throw new IllegalStateException("entry exists: " + entry.id());
    }
  }

  /**
   * Stores a new entry unless an entry with the same {@code idempotencyKey} was stored before, so a
   * producer that retries an enqueue (after a time-out, say) stores the message once. The key is
   * kept while the entry is queued.
   *
   * @return the id of the stored entry: {@code entry}'s, or the earlier entry's with this key
   * @throws IllegalArgumentException when the key is empty or longer than 200 characters
   * @throws IllegalStateException when another entry with {@code entry}'s id exists, or the store
   *     is closed
   * @throws QueueStoreException when the entry could not be made durable; nothing is stored
   */
  public QueueId append(QueueEntry entry, Content message, String idempotencyKey) {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    if (idempotencyKey.isEmpty() || idempotencyKey.length() > 200) {
      throw new IllegalArgumentException(
          "idempotency key must have 1 to 200 characters: " + idempotencyKey.length());
    }
    return submit(new Pending(entry, message, idempotencyKey));
  }

  /**
   * Stores like {@link #append(QueueEntry, Content)} without waiting: the append joins the next
   * group commit, run by a committer thread of the store's own when no caller is committing. The
   * future completes once the entry is durable, or exceptionally with what {@code append} would
   * have thrown.
   */
  @Override
  public CompletableFuture<Void> appendAsync(QueueEntry entry, Content message) {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(message, "message");
    checkOpenNow();
    return appends.submitAsync(new Pending(entry, message, null));
  }

  private QueueId submit(Pending p) {
    checkOpenNow();
    appends.submit(p);
    return p.stored;
  }

  private void commitGroup(List<Pending> batch) {
    Map<Pending, QueueId> result = run("append", true, (c, retry) -> writeGroup(c, batch, retry));
    for (Pending p : batch) {
      p.stored = result.get(p);
    }
  }

  /**
   * Writes a group; returns the stored id of each append. When every message of the group fits in
   * one chunk (the usual case), the whole group is one statement in its own transaction: entries,
   * recipients and bytes go in together, so a group costs one round trip and one commit however
   * many appends it holds. A group with a larger message takes a transaction of several statements,
   * streaming that message chunk by chunk.
   */
  private Map<Pending, QueueId> writeGroup(Connection c, List<Pending> batch, boolean retry)
      throws SQLException {
    boolean small = true;
    for (Pending p : batch) {
      p.failure = null; // a repeat after a lost connection starts afresh
      if (p.bytes == null) {
        p.bytes = readSmall(p);
      }
      small &= p.bytes != null || p.failure != null;
    }
    return small ? writeSmallGroup(c, batch, retry) : writeLargeGroup(c, batch, retry);
  }

  /**
   * Reads a message that fits in one chunk; returns null when it does not (it is then streamed in
   * the transaction, and opened once more for that) or when it cannot be read (its failure set).
   */
  private byte[] readSmall(Pending p) {
    if (declaredSize(p) > chunkSize) {
      return null;
    }
    try (InputStream in = p.message.open()) {
      byte[] chunk = in.readNBytes(chunkSize);
      return in.read() < 0 ? chunk : null;
    } catch (IOException | UncheckedIOException e) {
      p.failure =
          new QueueStoreException("cannot read the message to store for " + p.entry.id(), true, e);
      return null;
    }
  }

  /** Writes a group of one-chunk messages in one statement, autocommitted. */
  private Map<Pending, QueueId> writeSmallGroup(Connection c, List<Pending> batch, boolean retry)
      throws SQLException {
    Map<Pending, QueueId> out = new HashMap<>();
    List<Pending> first = new ArrayList<>();
    List<Pending> again = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (Pending p : batch) {
      if (p.failure == null) {
        // when one group holds an id twice, the first one's row is the one inserted
        (ids.add(p.entry.id().value()) ? first : again).add(p);
      }
    }
    Set<String> inserted = new HashSet<>();
    if (!first.isEmpty()) {
      EntryRows entries = new EntryRows(first);
      RecipientRows rows = new RecipientRows();
      first.forEach(p -> rows.add(p.entry));
      if (!insertAll(c, first, entries, rows)) {
        try (PreparedStatement s = c.prepareStatement(insertSkippingSql)) {
          entries.bind(c, s, rows.bind(c, s, 1), rows);
          try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              inserted.add(rs.getString(1));
            }
          }
        }
      } else {
        first.forEach(p -> inserted.add(p.entry.id().value()));
      }
    }
    for (Pending p : first) {
      out.put(p, inserted.contains(p.entry.id().value()) ? p.entry.id() : existing(c, p, retry));
    }
    for (Pending p : again) {
      out.put(p, existing(c, p, retry));
    }
    LOG.debug("committed {} appends in one statement", batch.size());
    return out;
  }

  /**
   * Writes a group holding a message larger than a chunk in one transaction: the entries take one
   * statement, the recipients one, the one-chunk messages one per {@link #SMALL_CHUNKS_BYTES}, and
   * the larger messages a statement per chunk.
   */
  private Map<Pending, QueueId> writeLargeGroup(Connection c, List<Pending> batch, boolean retry)
      throws SQLException {
    c.setAutoCommit(false);
    Map<Pending, QueueId> out = new HashMap<>();
    try {
      List<Pending> candidates = batch.stream().filter(p -> p.failure == null).toList();
      Set<String> inserted = insertEntries(c, candidates);
      List<Object[]> sizes = new ArrayList<>();
      try (PreparedStatement insChunk =
          c.prepareStatement(
              "INSERT INTO " + schema.chunk + " (entry_id, seq, data) VALUES (?, ?, ?)")) {
        for (Pending p : candidates) {
          // remove: when one group holds an id twice, the first one's row is the one inserted
          if (!inserted.remove(p.entry.id().value())) {
            out.put(p, existing(c, p, retry));
            continue;
          }
          // a message that fits in one chunk went into its entry row with the insert
          long size = p.bytes != null ? p.bytes.length : writeChunks(c, insChunk, p);
          if (size < 0) {
            continue; // the content failed; its rows are gone, the others commit
          }
          if (size != EntryRows.size(p)) {
            sizes.add(new Object[] {p.entry.id().value(), size, chunkCount(size)});
          }
          out.put(p, p.entry.id());
        }
      }
      if (!sizes.isEmpty()) {
        try (PreparedStatement u =
            c.prepareStatement(
                "UPDATE "
                    + schema.entry
                    + " e SET size = v.size, chunks = v.chunks FROM unnest(?::text[], ?::bigint[],"
                    + " ?::int[]) AS v(id, size, chunks) WHERE e.id = v.id")) {
          u.setArray(1, c.createArrayOf("text", sizes.stream().map(x -> x[0]).toArray()));
          u.setArray(2, c.createArrayOf("int8", sizes.stream().map(x -> x[1]).toArray()));
          u.setArray(3, c.createArrayOf("int4", sizes.stream().map(x -> x[2]).toArray()));
          u.executeUpdate();
        }
      }
      c.commit();
      LOG.debug("committed {} appends in one transaction", batch.size());
      return out;
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly(c, e);
      throw e;
    }
  }

  /** SQLState of a unique violation. */
  private static final String UNIQUE_VIOLATION = "23505";

  /**
   * Inserts a group without idempotency keys by a plain insert, which costs the server less than
   * one skipping conflicts (a speculative insertion per row: an index probe before the row and a
   * confirmation record after it, about a sixth of the insert's time); returns false, having
   * inserted nothing, when the group has a key or an id is taken (a retried append, a duplicate),
   * so the caller inserts it skipping conflicts after all. The statement is its own transaction,
   * so a unique violation leaves nothing behind.
   */
  private boolean insertAll(Connection c, List<Pending> batch, EntryRows entries, RecipientRows rows)
      throws SQLException {
    if (!c.getAutoCommit() || batch.stream().anyMatch(p -> p.key != null)) {
      return false;
    }
    try (PreparedStatement s = c.prepareStatement(insertSql)) {
      entries.bind(c, s, rows.bind(c, s, 1), rows);
      s.executeUpdate();
      return true;
    } catch (SQLException e) {
      if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
        LOG.debug("an id of the group is taken; inserting it skipping conflicts", e);
        return false;
      }
      throw e;
    }
  }

  /** The size the content says it has, or -1. */
  private static long declaredSize(Pending p) {
    return p.message.size().orElse(-1);
  }

  private int chunkCount(long size) {
    return (int) ((size + chunkSize - 1) / chunkSize);
  }

  /**
   * Inserts the group's entries in one statement, in order, with their recipients and the bytes of
   * one-chunk messages; returns the ids that were new.
   */
  private Set<String> insertEntries(Connection c, List<Pending> batch) throws SQLException {
    Set<String> inserted = new HashSet<>();
    if (batch.isEmpty()) {
      return inserted;
    }
    try (PreparedStatement s = c.prepareStatement(insertSkippingSql)) {
      RecipientRows rows = new RecipientRows();
      batch.forEach(p -> rows.add(p.entry));
      new EntryRows(batch).bind(c, s, rows.bind(c, s, 1), rows);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          inserted.add(rs.getString(1));
        }
      }
    }
    return inserted;
  }

  /**
   * Inserts entries (the rows of {@link EntryRows#ROWS}, in the order of the arrays; their
   * parameters follow those of {@link #RCPT_PARAMS}) with their recipients (each entry's slice of
   * the {@link #RCPT_PARAMS} arrays) and the bytes of one-chunk
   * messages (null for larger ones, whose chunks follow), skipping ids and keys that exist; returns
   * the ids inserted. Slicing costs the server next to nothing, where gathering recipient rows by
   * entry took a sort per array and entry, a join and a sort of the rows with their bytes. Without
   * {@code skipConflicts}, a plain insert that fails on a taken id or key and returns no rows.
   */
  private String insertEntriesSql(boolean skipConflicts) {
    return "WITH "
        + RCPT_PARAMS
        + " INSERT INTO "
        + schema.entry
        + " ("
        + EntryRows.COLUMNS
        + ", body, "
        + RCPT_ARRAYS
        + ") SELECT "
        + EntryRows.COLUMNS
        + ", v.data, "
        + RCPT_FIELDS.stream()
            .map(f -> "rp." + rcptArray(f) + "[v.r_from:v.r_to]")
            .collect(Collectors.joining(", "))
        + " FROM "
        + EntryRows.ROWS
        + " CROSS JOIN rp"
        + (skipConflicts ? " ON CONFLICT DO NOTHING RETURNING id" : "");
  }

  /** Entry rows of a group as one array per column, with the bytes of one-chunk messages. */
  private final class EntryRows {
    static final String COLUMNS =
        "id, idempotency_key, reverse_local, reverse_domain, dsn_notify, dsn_ret, dsn_envid,"
            + " created, delay_warned, due, size, chunks";
    private static final String ARRAYS =
        "?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],"
            + " ?::timestamptz[], ?::boolean[], ?::timestamptz[], ?::bigint[], ?::int[]";
    static final String ROWS =
        "unnest("
            + ARRAYS
            + ", ?::bytea[], ?::int[], ?::int[]) AS v("
            + COLUMNS
            + ", data, r_from, r_to)";
    private static final String[] TYPES = {
      "text", "text", "text", "text", "text", "text", "text", "text", "bool", "text", "int8", "int4"
    };

    private final List<Pending> batch;

    EntryRows(List<Pending> batch) {
      this.batch = batch;
    }

    /** The message's size: its bytes when read, else what it declares (0 when unknown). */
    static long size(Pending p) {
      return p.bytes != null ? p.bytes.length : Math.max(0, declaredSize(p));
    }

    /**
     * Binds the columns from parameter {@code first} on, with the bytes and each entry's slice of
     * {@code rows} (which holds the recipients of these entries, in order); returns the next
     * parameter's index.
     */
    int bind(Connection c, PreparedStatement s, int first, RecipientRows rows) throws SQLException {
      int n = batch.size();
      Object[][] cols = new Object[TYPES.length][n];
      byte[][] data = new byte[n][];
      for (int i = 0; i < n; i++) {
        Pending p = batch.get(i);
        QueueEntry e = p.entry;
        Envelope env = e.envelope();
        long size = size(p);
        cols[0][i] = e.id().value();
        cols[1][i] = p.key;
        cols[2][i] = env.reversePath().map(Mailbox::localPart).orElse(null);
        cols[3][i] = env.reversePath().map(Mailbox::domain).orElse(null);
        cols[4][i] =
            env.dsn().notifyOn().stream().map(Enum::name).sorted().collect(Collectors.joining(","));
        cols[5][i] = env.dsn().ret().map(Enum::name).orElse(null);
        cols[6][i] = env.dsn().envelopeId().orElse(null);
        cols[7][i] = e.created().toString();
        cols[8][i] = e.delayWarned();
        cols[9][i] = e.nextAttempt().map(Instant::toString).orElse(null);
        cols[10][i] = size;
        cols[11][i] = chunkCount(size);
        data[i] = p.bytes;
      }
      int at = first;
      for (int i = 0; i < TYPES.length; i++) {
        s.setArray(at++, c.createArrayOf(TYPES[i], cols[i]));
      }
      s.setArray(at++, c.createArrayOf("bytea", data));
      return rows.bindSlices(c, s, at);
    }
  }

  /** Returns the id an append stored before, or fails when its id is taken by another entry. */
  private QueueId existing(Connection c, Pending p, boolean retry) throws SQLException {
    if (p.key != null) {
      try (PreparedStatement q =
          c.prepareStatement("SELECT id FROM " + schema.entry + " WHERE idempotency_key = ?")) {
        q.setString(1, p.key);
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            return new QueueId(rs.getString(1));
          }
        }
      }
    }
    if (retry) {
      // a retry after a lost connection: the first attempt committed this very entry
      return p.entry.id();
    }
    p.failure = new IllegalStateException("entry exists: " + p.entry.id());
    return new QueueId("-");
  }

  /**
   * Streams a message larger than a chunk (or of unknown size) into chunk rows; returns its size,
   * or -1 when the content could not be read (then the append fails alone, and its rows are removed
   * again within the transaction).
   */
  private long writeChunks(Connection c, PreparedStatement insChunk, Pending p)
      throws SQLException {
    try (InputStream in = p.message.open()) {
      long size = 0;
      int seq = 0;
      byte[] chunk = in.readNBytes(chunkSize);
      while (chunk.length > 0) {
        insChunk.setString(1, p.entry.id().value());
        insChunk.setInt(2, seq++);
        insChunk.setBytes(3, chunk);
        insChunk.executeUpdate();
        size += chunk.length;
        chunk = chunk.length < chunkSize ? new byte[0] : in.readNBytes(chunkSize);
      }
      return size;
    } catch (IOException | UncheckedIOException e) {
      p.failure =
          new QueueStoreException("cannot read the message to store for " + p.entry.id(), true, e);
      deleteRow(c, p.entry.id(), OptionalToken.NONE);
      return -1;
    }
  }

  /**
   * The recipient fields, in the order {@link RecipientRows} binds them: each the column of the
   * recipient table (entries of schema versions before 6) and the array column of the entry row
   * that holds it since.
   */
  private static final List<String> RCPT_FIELDS =
      List.of(
          "local_part",
          "domain",
          "ascii_domain",
          "status",
          "attempts",
          "next_attempt",
          "last_attempt",
          "reply_code",
          "reply_status",
          "reply_text",
          "diagnostic",
          "remote_host");

  /** The SQL types of the {@link #RCPT_FIELDS}. */
  private static final List<String> RCPT_TYPES =
      List.of(
          "text", "text", "text", "text", "int", "timestamptz", "timestamptz", "int", "text",
          "text", "text", "text");

  /**
   * The recipients of a group as a common table expression {@code rp} of one row, one array per
   * field ({@link RecipientRows} binds them), every entry's recipients one after the other.
   * Materialized, so the parameters are converted (timestamps parsed) once per statement: pulled up
   * into the query, as a plain subquery is, each entry's slice converted the whole array again
   * (under a generic plan, where the conversion is not folded in planning), and parsing timestamps
   * showed at the top of the server's profile.
   */
  private static final String RCPT_PARAMS =
      "rp AS MATERIALIZED (SELECT "
          + java.util.stream.IntStream.range(0, RCPT_FIELDS.size())
              .mapToObj(i -> "?::" + RCPT_TYPES.get(i) + "[] AS " + rcptArray(RCPT_FIELDS.get(i)))
              .collect(Collectors.joining(", "))
          + ")";

  /** The entry row's recipient array columns. */
  private static final String RCPT_ARRAYS =
      RCPT_FIELDS.stream().map(f -> rcptArray(f)).collect(Collectors.joining(", "));

  private static String rcptArray(String field) {
    return field.equals("local_part") ? "rcpt_local" : "rcpt_" + field;
  }

  /**
   * A query gathering recipient rows ({@code entry_id}, {@code idx} and the {@link #RCPT_FIELDS})
   * of {@code rows} into one row per entry: {@code entry_id} and the {@link #RCPT_ARRAYS}.
   */
  private static String gatherRecipients(String rows) {
    return "SELECT entry_id, "
        + RCPT_FIELDS.stream()
            .map(f -> "array_agg(" + f + " ORDER BY idx) AS " + rcptArray(f))
            .collect(Collectors.joining(", "))
        + " FROM "
        + rows
        + " GROUP BY entry_id";
  }

  /** Sets the entry row's recipient arrays from those of {@code ra}. */
  private static String setRecipients(String ra) {
    return RCPT_FIELDS.stream()
        .map(f -> rcptArray(f) + " = " + ra + "." + rcptArray(f))
        .collect(Collectors.joining(", "));
  }

  /**
   * The recipients of entry row {@code e}, one row each, as a lateral {@code FROM} item {@code r}
   * of one column, {@code idx} (from 1): the subscripts of its arrays, which {@link #recipientAt}
   * reads. One set-returning function per entry: unnesting the twelve arrays together ran twelve,
   * each with a tuple store of its own, and took half the server time of a claim.
   */
  private static String recipientSubscripts(String e) {
    return "generate_subscripts(" + e + ".rcpt_local, 1) AS r(idx)";
  }

  /**
   * The {@code fields} of the recipient at subscript {@code r.idx} of entry row {@code e}'s arrays
   * (see {@link #recipientSubscripts}), each named after its field.
   */
  private static String recipientAt(String e, List<String> fields) {
    return fields.stream()
        .map(f -> e + "." + rcptArray(f) + "[r.idx] AS " + f)
        .collect(Collectors.joining(", "));
  }

  /** The {@link #RCPT_FIELDS} that reads return, in the order of {@code recipientColumns}. */
  private static final List<String> READ_FIELDS =
      RCPT_FIELDS.stream().filter(f -> !f.equals("ascii_domain")).toList();

  /**
   * The recipients of entry row {@code e} in either layout, as a lateral subquery {@code r} with
   * {@code idx} (from 0) and the {@link #RCPT_FIELDS}: from the row's arrays, or from the recipient
   * table for an entry an instance of an older version wrote and none of this version has taken
   * over yet. For reads that are not claims (claims take only entries of this version).
   */
  private String recipientsOfEitherLayout(String e) {
    return "LATERAL (SELECT r.idx - 1 AS idx, "
        + recipientAt(e, RCPT_FIELDS)
        + " FROM "
        + recipientSubscripts(e)
        + " UNION ALL SELECT x.idx, "
        + RCPT_FIELDS.stream().map(f -> "x." + f).collect(Collectors.joining(", "))
        + " FROM "
        + schema.recipient
        + " x WHERE "
        + e
        + ".rcpt_local IS NULL AND x.entry_id = "
        + e
        + ".id) r";
  }

  /**
   * Recipient rows as one array per column, so one statement writes the recipients of a whole group
   * (and no JDBC batch is needed).
   */
  private static final class RecipientRows {
    private final List<List<Object>> columns = new ArrayList<>();
    private final List<Object> from = new ArrayList<>();
    private final List<Object> to = new ArrayList<>();
    private static final String[] TYPES = {
      "text", "text", "text", "text", "int4", "text", "text", "int4", "text", "text", "text", "text"
    };

    RecipientRows() {
      for (int i = 0; i < TYPES.length; i++) {
        columns.add(new ArrayList<>());
      }
    }

    /** Adds the recipients of {@code e}: its slice of the arrays follows the one added before. */
    void add(QueueEntry e) {
      from.add(columns.get(0).size() + 1);
      to.add(columns.get(0).size() + e.recipients().size());
      for (int i = 0; i < e.recipients().size(); i++) {
        RecipientState r = e.recipients().get(i);
        Optional<ServerReply> reply = r.lastReply();
        Object[] row = {
          r.recipient().localPart(),
          r.recipient().domain(),
          r.recipient().asciiDomain().toLowerCase(Locale.ROOT),
          r.status().name(),
          r.attempts(),
          r.nextAttempt().map(Instant::toString).orElse(null),
          r.lastAttempt().map(Instant::toString).orElse(null),
          reply.map(ServerReply::code).orElse(null),
          reply.flatMap(ServerReply::status).map(EnhancedStatus::toString).orElse(null),
          reply.map(x -> String.join("\n", x.lines())).orElse(null),
          r.diagnostic().orElse(null),
          r.remoteHost().orElse(null)
        };
        for (int c = 0; c < row.length; c++) {
          columns.get(c).add(row[c]);
        }
      }
    }

    /**
     * Binds where each entry's recipients start and end in the arrays (from 1, inclusive), in the
     * order they were added, as two arrays from parameter {@code at} on; returns the next index.
     */
    int bindSlices(Connection c, PreparedStatement s, int at) throws SQLException {
      s.setArray(at, c.createArrayOf("int4", from.toArray()));
      s.setArray(at + 1, c.createArrayOf("int4", to.toArray()));
      return at + 2;
    }

    /**
     * Binds the columns from parameter {@code first} on; returns the next parameter's index. A
     * column that is null for every recipient (the replies, diagnostics and hosts of new entries)
     * is bound as a null array, not as an array of nulls: every slice and subscript of it is null
     * all the same, as each element was (and an unnest pads it with nulls), but the server parses,
     * slices and stores nothing for it, and the entry row is smaller for every later version of
     * it (claims rewrite the row).
     */
    int bind(Connection c, PreparedStatement s, int first) throws SQLException {
      for (int i = 0; i < TYPES.length; i++) {
        List<Object> values = columns.get(i);
        if (values.stream().allMatch(Objects::isNull)) {
          // typed as createArrayOf types it: the driver prepares the statement once for both
          s.setNull(first + i, Types.ARRAY, "_" + TYPES[i]);
        } else {
          s.setArray(first + i, c.createArrayOf(TYPES[i], values.toArray()));
        }
      }
      return first + TYPES.length;
    }
  }

  // ---------------------------------------------------------------- message bytes

  @Override
  public Content message(QueueId id) {
    Objects.requireNonNull(id, "id");
    Inline kept = inline.get(id);
    if (kept != null) {
      return Content.ofBytes(kept.bytes());
    }
    Object[] shape =
        queryOne(
            "read message",
            "SELECT e.size, e.chunks, CASE WHEN e.size <= ? THEN coalesce(e.body, k.data) END FROM "
                + schema.entry
                + " e LEFT JOIN "
                + schema.chunk
                + " k ON e.body IS NULL AND k.entry_id = e.id AND k.seq = 0 WHERE e.id = ?",
            q -> {
              q.setInt(1, INLINE_MESSAGE);
              q.setString(2, id.value());
            },
            rs -> new Object[] {rs.getLong(1), rs.getInt(2), rs.getBytes(3)});
    if (shape == null) {
      throw new NoSuchElementException("no queue entry " + id);
    }
    long size = (Long) shape[0];
    int chunks = (Integer) shape[1];
    if (size <= INLINE_MESSAGE && chunks <= 1) {
      // small: the one query brought the bytes along, so a delivery needs no second round trip
      return Content.ofBytes(shape[2] == null ? new byte[0] : (byte[]) shape[2]);
    }
    return Content.ofSource(() -> new ChunkStream(id, chunks), size);
  }

  /** Reads a message chunk by chunk, each on a connection of its own; holds one chunk at a time. */
  private final class ChunkStream extends InputStream {
    private final QueueId id;
    private final int chunks;
    private int nextSeq;
    private byte[] current = new byte[0];
    private int pos;

    ChunkStream(QueueId id, int chunks) {
      this.id = id;
      this.chunks = chunks;
    }

    private boolean fill() throws IOException {
      while (pos >= current.length) {
        if (nextSeq >= chunks) {
          return false;
        }
        int seq = nextSeq;
        byte[] data;
        try {
          data = run("read message chunk", true, (c, retry) -> chunk(c, seq));
        } catch (QueueStoreException e) {
          throw new IOException("cannot read chunk " + seq + " of " + id, e);
        }
        if (data == null) {
          throw new IOException("message " + id + " was removed while being read");
        }
        current = data;
        pos = 0;
        nextSeq++;
      }
      return true;
    }

    private byte[] chunk(Connection c, int seq) throws SQLException {
      // the one chunk of a message of up to a chunk is in its entry row (schema version 6)
      try (PreparedStatement q =
          c.prepareStatement(
              "SELECT data FROM "
                  + schema.chunk
                  + " WHERE entry_id = ? AND seq = ? UNION ALL SELECT body FROM "
                  + schema.entry
                  + " WHERE id = ? AND body IS NOT NULL AND ? = 0")) {
        q.setString(1, id.value());
        q.setInt(2, seq);
        q.setString(3, id.value());
        q.setInt(4, seq);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? rs.getBytes(1) : null;
        }
      }
    }

    @Override
    public int read() throws IOException {
      return fill() ? current[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (!fill()) {
        return -1;
      }
      int n = Math.min(len, current.length - pos);
      System.arraycopy(current, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public int available() {
      return current.length - pos;
    }
  }

  // ---------------------------------------------------------------- plain state

  @Override
  public void update(QueueEntry entry) {
    Objects.requireNonNull(entry, "entry");
    checkOpenNow();
    dropInline(entry.id());
    boolean found = run("update", true, (c, retry) -> writeState(c, entry, OptionalToken.NONE));
    if (!found) {
      Boolean olderLease =
          queryOne(
              "look up",
              "SELECT rcpt_local IS NULL AND coalesce(lease_until >= now(), false) FROM "
                  + schema.entry
                  + " WHERE id = ?",
              q -> q.setString(1, entry.id().value()),
              rs -> rs.getBoolean(1));
      if (Boolean.TRUE.equals(olderLease)) {
        throw new IllegalStateException(
            "queue entry "
                + entry.id()
                + " is being delivered by an instance of an older mailcore version; its state"
                + " can change once that attempt ends");
      }
      throw new NoSuchElementException("no queue entry " + entry.id());
    }
  }

  @Override
  public void delete(QueueId id) {
    Objects.requireNonNull(id, "id");
    checkOpenNow();
    dropInline(id);
    run("delete", true, (c, retry) -> deleteRow(c, id, OptionalToken.NONE));
  }

  /** A lease token a write must match, or none. */
  private record OptionalToken(long token, boolean present) {
    static final OptionalToken NONE = new OptionalToken(0, false);

    static OptionalToken of(long token) {
      return new OptionalToken(token, true);
    }
  }

  /** Replaces the state; with a token, only while it matches, ending the lease. */
  private boolean writeState(Connection c, QueueEntry entry, OptionalToken token)
      throws SQLException {
    String sql = token.present() ? writeLeasedStateSql : writeStateSql;
    try (PreparedStatement u = c.prepareStatement(sql)) {
      RecipientRows rows = new RecipientRows();
      rows.add(entry);
      int i = rows.bind(c, u, 1);
      u.setBoolean(i++, entry.delayWarned());
      setTime(u, i++, entry.nextAttempt());
      u.setString(i++, entry.id().value());
      if (token.present()) {
        u.setLong(i, token.token());
      }
      try (ResultSet rs = u.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }

  /**
   * The statement of {@link #writeState}: without a lease token ({@code leased} false) or with one
   * (its last parameter). An entry an instance of an older version wrote takes the layout of this
   * version: its recipients move into the row, its due time into "due"; its bytes stay where they
   * are.
   */
  private static String stateUpdateSql(PostgresSchema schema, boolean leased) {
    return "WITH "
        + RCPT_PARAMS
        + ", u AS (UPDATE "
        + schema.entry
        + " e SET delay_warned = ?, due = ?, next_due = NULL, "
        + setRecipients("rp")
        + (leased
            ? ", lease_owner = NULL, lease_until = NULL"
            // an older instance's entry taken over: its late writes are refused from now on
            : ", lease_token = e.lease_token + CASE WHEN e.rcpt_local IS NULL THEN 1 ELSE 0 END")
        + " FROM rp WHERE e.id = ?"
        + (leased
            ? " AND e.lease_token = ?"
            // never under an older instance's live lease: it could not write its outcome
            : " AND NOT (e.rcpt_local IS NULL AND coalesce(e.lease_until >= now(), false))")
        + " RETURNING e.id), x AS (DELETE FROM "
        + schema.recipient
        + " WHERE entry_id = ANY (ARRAY(SELECT id FROM u))) SELECT count(*) FROM u";
  }

  /** Removes an entry with its recipients and chunks in one statement; true when it was there. */
  private boolean deleteRow(Connection c, QueueId id, OptionalToken token) throws SQLException {
    String sql =
        BY_INDEX
            + "WITH d AS (DELETE FROM "
            + schema.entry
            + " e WHERE e.id = ?"
            + (token.present() ? " AND e.lease_token = ?" : "")
            + RETURNING_REMOVED
            + ")"
            + deleteChildren("d")
            + " SELECT count(*) FROM d";
    try (PreparedStatement d = c.prepareStatement(sql)) {
      d.setString(1, id.value());
      if (token.present()) {
        d.setLong(2, token.token());
      }
      try (ResultSet rs = byIndexQuery(d)) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }

  /**
   * Common table expressions (each led by a comma) that remove the recipients and chunks of the
   * entries a preceding {@code DELETE ... RETURNING id} named {@code removed} took out. The tables
   * have no foreign keys (schema version 5): every removal of an entry goes through here, in the
   * statement that removes the entry, so no row outlives its entry. Run after {@link #BY_INDEX}
   * and reached through {@code = ANY (ARRAY(...))}, so even a generic plan looks the rows up by
   * index.
   */
  private String deleteChildren(String removed) {
    return ", "
        + removed
        + "_r AS (DELETE FROM "
        + schema.recipient
        + " WHERE entry_id = ANY (ARRAY(SELECT id FROM "
        + removed
        + " WHERE legacy))), "
        + removed
        + "_k AS (DELETE FROM "
        + schema.chunk
        + " WHERE entry_id = ANY (ARRAY(SELECT id FROM "
        + removed
        + " WHERE chunked)))";
  }

  /**
   * What a removal returns for {@link #deleteChildren}: the id, whether the recipients are in the
   * recipient table (an entry of an older version) and whether the bytes may be in the chunk table
   * (a message larger than a chunk, or an entry of an older version). An entry of this version with
   * a message of up to a chunk has neither, so its removal touches no other table. The removal
   * names the entry table {@code e}.
   */
  private static final String RETURNING_REMOVED =
      " RETURNING e.id, e.rcpt_local IS NULL AS legacy, e.body IS NULL AS chunked";

  @Override
  public Optional<QueueEntry> entry(QueueId id) {
    Objects.requireNonNull(id, "id");
    List<QueueEntry> found = select("e.id = ?", "", s -> s.setString(1, id.value()));
    return found.stream().findFirst();
  }

  @Override
  public List<QueueEntry> entries() {
    return select("true", " ORDER BY e.seq", s -> {});
  }

  @Override
  public List<QueueEntry> due(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    if (limit <= 0) {
      return List.of();
    }
    adoptNowAndThen(now);
    return run(
        "due",
        true,
        (c, retry) -> {
          // entries of this version ("due") and of older versions (next_due) alike
          String sql =
              "WITH d AS (SELECT id, at FROM ((SELECT id, due AS at FROM "
                  + schema.entry
                  + " WHERE due <= ? ORDER BY due, id LIMIT ?) UNION ALL (SELECT id, next_due FROM "
                  + schema.entry
                  + " WHERE next_due <= ? ORDER BY next_due, id LIMIT ?)) a"
                  + " ORDER BY at, id LIMIT ?)"
                  + " SELECT "
                  + entryColumns
                  + ", "
                  + recipientColumns
                  + " FROM d JOIN "
                  + schema.entry
                  + " e ON e.id = d.id CROSS JOIN "
                  + recipientsOfEitherLayout("e")
                  + " ORDER BY d.at, d.id, r.idx";
          try (PreparedStatement q = c.prepareStatement(sql)) {
            q.setObject(1, timestamp(now));
            q.setInt(2, limit);
            q.setObject(3, timestamp(now));
            q.setInt(4, limit);
            q.setInt(5, limit);
            try (ResultSet rs = q.executeQuery()) {
              return List.copyOf(readEntries(rs).values());
            }
          }
        });
  }

  /** Binds parameters of a query. */
  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement s) throws SQLException;
  }

  private List<QueueEntry> select(String where, String order, Binder binder) {
    return run(
        "read entries",
        true,
        (c, retry) -> {
          String sql =
              "SELECT "
                  + entryColumns
                  + ", "
                  + recipientColumns
                  + " FROM "
                  + schema.entry
                  + " e CROSS JOIN "
                  + recipientsOfEitherLayout("e")
                  + " WHERE "
                  + where
                  + (order.isEmpty() ? " ORDER BY e.id, r.idx" : order + ", r.idx");
          try (PreparedStatement q = c.prepareStatement(sql)) {
            binder.bind(q);
            try (ResultSet rs = q.executeQuery()) {
              return List.copyOf(readEntries(rs).values());
            }
          }
        });
  }

  @Override
  public Optional<Instant> nextDue() {
    return queryOne(
        "next due",
        "SELECT least((SELECT min(due) FROM "
            + schema.entry
            + "), (SELECT min(next_due) FROM "
            + schema.entry
            + "))",
        q -> {},
        rs -> time(rs, 1));
  }

  @Override
  public int size() {
    return queryOne("size", "SELECT count(*) FROM " + schema.entry, q -> {}, rs -> rs.getInt(1));
  }

  // ---------------------------------------------------------------- leases

  /**
   * Leases due entries to this instance, earliest first, skipping entries another instance holds
   * (or is claiming this very moment) and rescuing entries whose lease expired. One statement: the
   * due rows are picked {@code FOR UPDATE SKIP LOCKED}, marked with this owner, a lease expiry of
   * {@code now()} plus the lease duration on the database clock and the next lease token, and
   * returned.
   *
   * @param now the queue's time (the clock next attempts are computed with)
   * @throws IllegalArgumentException when {@code limit} is not positive
   * @throws QueueStoreException when the database cannot be reached
   */
  @Override
  public List<QueueLease> claim(Instant now, int limit) {
    return claim(Optional.empty(), now, limit);
  }

  /**
   * Tops up an open SMTP session to {@code domain}: leases at most {@code limit} due entries with a
   * recipient of that domain due, as {@link #claim(Instant, int)} does.
   *
   * @throws IllegalArgumentException when {@code limit} is not positive
   * @throws QueueStoreException when the database cannot be reached
   */
  @Override
  public List<QueueLease> claim(String domain, Instant now, int limit) {
    Objects.requireNonNull(domain, "domain");
    return claim(Optional.of(domain.toLowerCase(Locale.ROOT)), now, limit);
  }

  /** Claims what is due by this store's clock; see {@link #claim(Instant, int)}. */
  public List<QueueLease> claim(int limit) {
    return claim(clock.instant(), limit);
  }

  /**
   * Leases like {@link #claim(Instant, int)} and, in the same statement, finds when the earliest
   * entry due after {@code now} falls due: one round trip where a claim and {@link #nextDue()}
   * took two. Entries due at or before {@code now} are left out of the next due time, since they
   * are claimable already.
   *
   * @throws IllegalArgumentException when {@code limit} is not positive
   * @throws QueueStoreException when the database cannot be reached
   */
  @Override
  public QueueClaim claimDue(Instant now, int limit) {
    Instant[] upcoming = new Instant[1];
    List<QueueLease> leases = claim(Optional.empty(), now, limit, upcoming);
    return new QueueClaim(leases, Optional.ofNullable(upcoming[0]));
  }

  private List<QueueLease> claim(Optional<String> domain, Instant now, int limit) {
    return claim(domain, now, limit, null);
  }

  /**
   * Claims in one statement; with {@code upcoming}, the statement also finds the earliest due time
   * after {@code now} and puts it (or null) in {@code upcoming[0]}: then every row carries it, and
   * a claim that leases nothing still returns one row, with nulls for the entry.
   */
  private List<QueueLease> claim(
      Optional<String> domain, Instant now, int limit, Instant[] upcoming) {
    Objects.requireNonNull(now, "now");
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    checkOpenNow();
    adoptNowAndThen(now);
    String sql = BY_INDEX + claimSql(domain.isPresent(), upcoming != null);
    return run(
        "claim",
        true,
        (c, retry) -> {
          try (PreparedStatement q = c.prepareStatement(sql)) {
            int i = 1;
            q.setObject(i++, timestamp(now));
            if (domain.isPresent()) {
              q.setString(i++, domain.get());
              q.setObject(i++, timestamp(now));
            }
            q.setInt(i++, limit);
            q.setString(i++, owner);
            q.setDouble(i++, leaseDuration.toNanos() / 1e9);
            q.setInt(i++, INLINE_MESSAGE);
            if (upcoming != null) {
              q.setObject(i, timestamp(now));
            }
            List<ClaimedRow> rows = new ArrayList<>();
            try (ResultSet rs = byIndexQuery(q)) {
              while (rs.next()) {
                if (upcoming != null) {
                  upcoming[0] = time(rs, UPCOMING_COLUMN).orElse(null);
                  if (rs.getString(1) == null) {
                    continue; // nothing was claimed: the row only brings the next due time
                  }
                }
                rows.add(claimedRow(rs));
              }
            }
            rows.sort(CLAIM_ORDER);
            List<QueueLease> leases = new ArrayList<>(rows.size());
            for (ClaimedRow row : rows) {
              leases.add(row.lease());
              if (row.bytes() != null) {
                keepInline(row.lease(), row.bytes());
              }
            }
            return List.copyOf(leases);
          }
        });
  }

  /** How often claims look for entries to {@link #adopt}. */
  private static final Duration ADOPT_EVERY = Duration.ofSeconds(10);

  /** The most entries one {@link #adopt} statement takes over. */
  private static final int ADOPT_BATCH = 256;

  /** The queue time of the last {@link #adopt}; null before the first claim. */
  private final java.util.concurrent.atomic.AtomicReference<Instant> lastAdopt =
      new java.util.concurrent.atomic.AtomicReference<>();

  /** Adopts before a claim at {@code now} when the last adoption is {@link #ADOPT_EVERY} ago. */
  private void adoptNowAndThen(Instant now) {
    Instant last = lastAdopt.get();
    boolean due = last == null || now.isBefore(last) || !now.isBefore(last.plus(ADOPT_EVERY));
    if (due && lastAdopt.compareAndSet(last, now)) {
      adopt();
    }
  }

  /**
   * Takes over the due entries that instances of a version before schema 6 wrote while they run
   * next to this one (their recipients in the recipient table, their due time in {@code
   * next_due}, where claims of this version do not look): moves the recipients into the entry row
   * and the due time to {@code due}, a batch at a time, skipping entries leased and not expired.
   * The lease token moves on, as with a claim, so a late write of an older instance whose lease
   * ran out is refused; the bytes stay where they are. Once taken over, an entry is invisible to
   * the older instances. Run when the store is built and every {@link #ADOPT_EVERY} of queue time
   * before a claim; one index probe when there is nothing to take over.
   *
   * @return how many entries were taken over
   */
  int adopt() {
    // Two statements in one transaction: the first locks the entries, the second reads their
    // recipients with a snapshot taken after the locks. In one statement the recipients would be
    // read as they were before an older instance's outcome that committed while the entry was
    // being locked, and that outcome would be lost.
    String lock =
        BY_INDEX
            + "SELECT id FROM "
            + schema.entry
            + " WHERE next_due IS NOT NULL AND rcpt_local IS NULL"
            + " AND (lease_until IS NULL OR lease_until < now())"
            + " ORDER BY next_due, id LIMIT ? FOR UPDATE SKIP LOCKED";
    String move =
        "WITH ra AS ("
            + gatherRecipients(
                "(SELECT * FROM " + schema.recipient + " WHERE entry_id = ANY (?)) x")
            + "), u AS (UPDATE "
            + schema.entry
            + " e SET due = e.next_due, next_due = NULL, lease_owner = NULL, lease_until = NULL,"
            + " lease_token = e.lease_token + 1, "
            + setRecipients("ra")
            + " FROM ra WHERE e.id = ANY (?) AND e.id = ra.entry_id"
            + " RETURNING e.id), x AS (DELETE FROM "
            + schema.recipient
            + " WHERE entry_id = ANY (ARRAY(SELECT id FROM u))) SELECT count(*) FROM u";
    int total = 0;
    while (true) {
      int[] locked = new int[1];
      int n =
          run(
              "adopt older entries",
              true,
              (c, retry) -> {
                c.setAutoCommit(false);
                try {
                  List<String> ids = new ArrayList<>();
                  try (PreparedStatement q = c.prepareStatement(lock)) {
                    q.setInt(1, ADOPT_BATCH);
                    try (ResultSet rs = byIndexQuery(q)) {
                      while (rs.next()) {
                        ids.add(rs.getString(1));
                      }
                    }
                  }
                  locked[0] = ids.size();
                  int moved = 0;
                  if (!ids.isEmpty()) {
                    try (PreparedStatement u = c.prepareStatement(move)) {
                      Array array = c.createArrayOf("text", ids.toArray());
                      u.setArray(1, array);
                      u.setArray(2, array);
                      try (ResultSet rs = u.executeQuery()) {
                        rs.next();
                        moved = rs.getInt(1);
                      }
                    }
                  }
                  c.commit();
                  return moved;
                } catch (SQLException | RuntimeException e) {
                  c.rollback();
                  throw e;
                }
              });
      total += n;
      if (locked[0] < ADOPT_BATCH) {
        break;
      }
    }
    if (total > 0) {
      LOG.info("took over {} queue entries written by an older version", total);
    }
    return total;
  }

  /** Column of the next due time in a claim with {@code upcoming}. */
  private static final int UPCOMING_COLUMN = 25;

  /** Claimed entries earliest due first, as the statement's ORDER BY once gave them. */
  private static final java.util.Comparator<ClaimedRow> CLAIM_ORDER =
      java.util.Comparator.comparing(ClaimedRow::due).thenComparing(r -> r.lease().id().value());

  /** One entry a claim leased, with the bytes that came along (null when they did not). */
  private record ClaimedRow(QueueLease lease, Instant due, byte[] bytes) {}

  /**
   * The claim's columns: the entry columns 1 to 8 ({@code entryColumns}), the arrays of the
   * {@link #READ_FIELDS} (9 to 19), the lease (20 to 22), the bytes of a message of up to a chunk
   * (23), the due time (24) and, with {@code upcoming}, the next due time (25). One row per entry,
   * straight from the update: the recipients stay arrays, taken apart by {@link #claimedRow}, and
   * the rows are put in due order here. Unnesting them into a row per recipient and sorting those
   * on the server (a materialized copy of every claimed row, a set-returning function and eleven
   * subscripts per entry) took a third of the claim's time.
   */
  private String claimSql(boolean byDomain, boolean upcoming) {
    String returning =
        " RETURNING u.id, u.reverse_local, u.reverse_domain, u.dsn_notify, u.dsn_ret,"
            + " u.dsn_envid, u.created, u.delay_warned, "
            + READ_FIELDS.stream().map(f -> "u." + rcptArray(f)).collect(Collectors.joining(", "))
            + ", u.lease_owner, u.lease_token, u.lease_until,"
            // the bytes of a message of up to a chunk are in the row (the chunk table only for
            // an entry an older version wrote)
            + " CASE WHEN u.size <= ? AND u.chunks <= 1 THEN coalesce(u.body,"
            + " (SELECT k.data FROM "
            + schema.chunk
            + " k WHERE k.entry_id = u.id AND k.seq = 0), '\\x'::bytea) END AS inline_data,"
            + " u.due AS due_at";
    // only entries of this version (due set): an older version's are taken over by adopt first
    String update =
        "WITH picked AS (SELECT id FROM "
            + schema.entry
            + " p"
            + " WHERE due <= ? AND (lease_until IS NULL OR lease_until < now())"
            + (byDomain
                ? " AND EXISTS (SELECT 1 FROM unnest(p.rcpt_ascii_domain, p.rcpt_next_attempt)"
                    + " AS x(ascii_domain, next_attempt)"
                    + " WHERE x.ascii_domain = ? AND x.next_attempt <= ?)"
                : "")
            + " ORDER BY due, id LIMIT ? FOR UPDATE SKIP LOCKED)";
    String set =
        " UPDATE "
            + schema.entry
            + " u SET lease_owner = ?, lease_token = u.lease_token + 1,"
            + " lease_until = now() + make_interval(secs => ?)"
            + " WHERE u.id = ANY (ARRAY(SELECT id FROM picked))"
            + returning;
    if (!upcoming) {
      return update + set;
    }
    // one row even when nothing is claimed, so the next due time always comes back
    return update
        + ", claimed AS ("
        + set
        + ") SELECT claimed.*, n.upcoming FROM (SELECT min(due) AS upcoming FROM "
        + schema.entry
        + " WHERE due > ?) n LEFT JOIN claimed ON true";
  }

  /** Reads one row of a claim (see {@link #claimSql}). */
  private static ClaimedRow claimedRow(ResultSet rs) throws SQLException {
    ResultRow head = new ResultRow(rs, true);
    QueueEntry e = entryOf(head, recipients(rs, 9));
    QueueLease lease = new QueueLease(e, head.leaseOwner, head.leaseToken, head.leaseUntil);
    Instant due = time(rs, 24).orElse(Instant.MIN);
    return new ClaimedRow(lease, due, rs.getBytes(23));
  }

  /**
   * The recipients of an entry from the arrays of the {@link #READ_FIELDS} in columns {@code at}
   * on; an array that is null stands for a null in every element (a field no recipient has).
   */
  private static List<RecipientState> recipients(ResultSet rs, int at) throws SQLException {
    Object[][] fields = new Object[READ_FIELDS.size()][];
    for (int i = 0; i < fields.length; i++) {
      Array a = rs.getArray(at + i);
      fields[i] = a == null ? null : (Object[]) a.getArray();
    }
    int n = fields[0].length;
    List<RecipientState> out = new ArrayList<>(n);
    for (int r = 0; r < n; r++) {
      Object[] v = new Object[fields.length];
      for (int i = 0; i < fields.length; i++) {
        v[i] = fields[i] == null ? null : fields[i][r];
      }
      Optional<ServerReply> reply = Optional.empty();
      if (v[6] != null) {
        Optional<EnhancedStatus> es = Optional.ofNullable((String) v[7]).map(EnhancedStatus::parse);
        reply =
            Optional.of(
                new ServerReply(
                    ((Number) v[6]).intValue(), es, List.of(((String) v[8]).split("\n", -1))));
      }
      out.add(
          new RecipientState(
              Mailbox.of((String) v[0], (String) v[1]),
              RecipientState.Status.valueOf((String) v[2]),
              ((Number) v[3]).intValue(),
              instant(v[4]),
              instant(v[5]),
              reply,
              Optional.ofNullable((String) v[9]),
              Optional.ofNullable((String) v[10])));
    }
    return out;
  }

  /** An element of a timestamptz array as the driver gives it. */
  private static Optional<Instant> instant(Object element) {
    if (element == null) {
      return Optional.empty();
    }
    if (element instanceof java.sql.Timestamp t) {
      return Optional.of(t.toInstant());
    }
    if (element instanceof OffsetDateTime t) {
      return Optional.of(t.toInstant());
    }
    throw new IllegalStateException("unexpected timestamp element: " + element.getClass());
  }

  /**
   * Extends the leases still held by their token (the heartbeat): each gets a new expiry of the
   * database's {@code now()} plus the lease duration. One statement for all of them.
   *
   * @return the renewed leases; a lease missing here was taken over by a newer claim or its entry
   *     is gone
   * @throws QueueStoreException when the database cannot be reached
   */
  @Override
  public List<QueueLease> renew(Collection<QueueLease> leases) {
    Objects.requireNonNull(leases, "leases");
    if (leases.isEmpty()) {
      return List.of();
    }
    checkOpenNow();
    Map<String, QueueLease> byId = new LinkedHashMap<>();
    for (QueueLease l : leases) {
      byId.put(l.id().value(), l);
    }
    return run(
        "renew",
        true,
        (c, retry) -> {
          String sql =
              BY_INDEX
                  + "UPDATE "
                  + schema.entry
                  + " e SET lease_until = now() + make_interval(secs => ?)"
                  + " FROM unnest(?::text[], ?::bigint[]) AS l(id, token)"
                  + " WHERE e.id = ANY (?::text[])"
                  + " AND e.id = l.id AND e.lease_token = l.token AND e.lease_owner IS NOT NULL"
                  + " RETURNING e.id, e.lease_until";
          try (PreparedStatement u = c.prepareStatement(sql)) {
            Array ids = c.createArrayOf("text", byId.keySet().toArray());
            Array tokens =
                c.createArrayOf("bigint", byId.values().stream().map(QueueLease::token).toArray());
            u.setDouble(1, leaseDuration.toNanos() / 1e9);
            u.setArray(2, ids);
            u.setArray(3, tokens);
            u.setArray(4, ids);
            List<QueueLease> out = new ArrayList<>();
            Set<String> lost = new HashSet<>(byId.keySet());
            try (ResultSet rs = byIndexQuery(u)) {
              while (rs.next()) {
                lost.remove(rs.getString(1));
                out.add(byId.get(rs.getString(1)).renewedUntil(time(rs, 2).orElseThrow()));
              }
            }
            lost.forEach(id -> dropInline(new QueueId(id)));
            return List.copyOf(out);
          }
        });
  }

  /**
   * Records the outcome of an attempt and ends the lease, only while no newer claim of the entry
   * was made (the lease token still matches); a late write of an instance whose lease was rescued
   * by another is refused.
   *
   * @return false, changing nothing, when the lease was superseded or the entry is gone
   * @throws IllegalArgumentException when {@code entry} is not the leased entry
   * @throws QueueStoreException when the change could not be made durable; the old state stands
   */
  @Override
  public boolean update(QueueLease lease, QueueEntry entry) {
    return outcome(new Outcome(lease, checkLeased(lease, entry)));
  }

  /**
   * Records an outcome like {@link #update(QueueLease, QueueEntry)} without waiting: it joins the
   * next group of outcomes, so one caller may have many in flight and share one commit among them.
   * The future completes with what {@code update} would have returned, or exceptionally with what
   * it would have thrown.
   */
  @Override
  public CompletableFuture<Boolean> updateAsync(QueueLease lease, QueueEntry entry) {
    return outcomeAsync(new Outcome(lease, checkLeased(lease, entry)));
  }

  /**
   * Removes a finished entry and its bytes, only while no newer claim was made. Concurrent outcomes
   * (removals and updates) of all threads are group-committed: one statement, one commit.
   *
   * @return false, removing nothing, when the lease was superseded
   * @throws QueueStoreException when the removal could not be made durable
   */
  @Override
  public boolean delete(QueueLease lease) {
    return outcome(new Outcome(Objects.requireNonNull(lease, "lease"), null));
  }

  /**
   * Removes like {@link #delete(QueueLease)} without waiting; see {@link #updateAsync(QueueLease,
   * QueueEntry)}.
   */
  @Override
  public CompletableFuture<Boolean> deleteAsync(QueueLease lease) {
    return outcomeAsync(new Outcome(Objects.requireNonNull(lease, "lease"), null));
  }

  private static QueueEntry checkLeased(QueueLease lease, QueueEntry entry) {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(entry, "entry");
    if (!lease.id().equals(entry.id())) {
      throw new IllegalArgumentException("lease is for " + lease.id() + ", not " + entry.id());
    }
    return entry;
  }

  private boolean outcome(Outcome o) {
    checkOpenNow();
    dropInline(o.lease.id());
    outcomes.submit(o);
    return o.applied;
  }

  private CompletableFuture<Boolean> outcomeAsync(Outcome o) {
    checkOpenNow();
    dropInline(o.lease.id());
    return outcomes.submitAsync(o).thenApply(v -> o.applied);
  }

  private void commitOutcomes(List<Outcome> batch) {
    // repeating after a lost commit is harmless: updates leave the token as it is and write the
    // same values again; a removal that finds its row gone was done by the first attempt
    run("complete", true, (c, retry) -> writeOutcomes(c, batch, retry));
  }

  /**
   * Writes a group of outcomes in one statement, in its own transaction: the removals, the entry
   * updates and their recipient rows, each only where the lease token still matches.
   */
  private Void writeOutcomes(Connection c, List<Outcome> batch, boolean retry)
      throws SQLException {
    List<Outcome> removals = new ArrayList<>();
    List<Outcome> updates = new ArrayList<>();
    Map<String, Outcome> byId = new HashMap<>();
    for (Outcome o : batch) {
      o.applied = false;
      if (byId.putIfAbsent(o.lease.id().value(), o) != null) {
        // two outcomes for one entry (a stale lease and a new one): write them one group apart
        o.failure = null;
        o.applied = singleOutcome(c, o, retry);
        continue;
      }
      (o.entry == null ? removals : updates).add(o);
    }
    RecipientRows rows = new RecipientRows();
    updates.forEach(o -> rows.add(o.entry));
    boolean removing = !removals.isEmpty();
    boolean updating = !updates.isEmpty();
    Set<String> applied = new HashSet<>();
    if (!removing && !updating) {
      return null; // every outcome of the group was written on its own
    }
    try (PreparedStatement s = c.prepareStatement(outcomesSql(removing, updating))) {
      int i = 1;
      if (removing) {
        s.setArray(i++, c.createArrayOf("text", ids(removals)));
        s.setArray(i++, c.createArrayOf("int8", tokens(removals)));
      }
      if (updating) {
        s.setArray(i++, c.createArrayOf("text", ids(updates)));
        s.setArray(i++, c.createArrayOf("int8", tokens(updates)));
        s.setArray(
            i++,
            c.createArrayOf("bool", updates.stream().map(o -> o.entry.delayWarned()).toArray()));
        s.setArray(
            i++,
            c.createArrayOf(
                "text",
                updates.stream()
                    .map(o -> o.entry.nextAttempt().map(Instant::toString).orElse(null))
                    .toArray()));
        rows.bind(c, s, rows.bindSlices(c, s, i));
      }
      try (ResultSet rs = byIndexQuery(s)) {
        while (rs.next()) {
          applied.add(rs.getString(1));
        }
      }
    }
    List<String> missing = new ArrayList<>();
    for (Outcome o : removals) {
      o.applied = applied.contains(o.lease.id().value());
      if (!o.applied && retry) {
        missing.add(o.lease.id().value());
      }
    }
    for (Outcome o : updates) {
      o.applied = applied.contains(o.lease.id().value());
    }
    if (!missing.isEmpty()) {
      // after a lost commit, a repeat finds the row gone: that was this removal
      Set<String> present = existing(c, missing);
      for (Outcome o : removals) {
        if (!o.applied && !present.contains(o.lease.id().value())) {
          o.applied = true;
        }
      }
    }
    LOG.debug("committed {} queue outcomes in one statement", batch.size());
    return null;
  }

  /**
   * The statement of a group of outcomes: its removals ({@code removing}: ids and tokens), its
   * updates ({@code updating}: ids, tokens, delay flags, due times, recipient slices, then the
   * {@link #RCPT_PARAMS}), or both. A group of removals alone (every delivery done, the usual
   * case) leaves the update out, whose part of the plan the server otherwise set up and ran on
   * every execution, empty, for a third of the statement's time. With sequential scans off and
   * every table reached through {@code = ANY (ARRAY(...))}, even a generic plan, made while the
   * tables were small, looks rows up by index instead of hashing a scan of the whole table.
   */
  private String outcomesSql(boolean removing, boolean updating) {
    String removals =
        "dv AS (SELECT * FROM unnest(?::text[], ?::bigint[]) AS v(id, token)),"
            + " d AS (DELETE FROM "
            + schema.entry
            + " e USING dv WHERE e.id = ANY (ARRAY(SELECT id FROM dv))"
            + " AND e.id = dv.id AND e.lease_token = dv.token"
            + RETURNING_REMOVED
            + ")"
            + deleteChildren("d");
    String updates =
        "uv AS (SELECT * FROM unnest(?::text[], ?::bigint[], ?::boolean[],"
            + " ?::timestamptz[], ?::int[], ?::int[]) AS v(id, token, dw, nd, r_from, r_to)), "
            + RCPT_PARAMS
            + ", u AS (UPDATE "
            + schema.entry
            + " e SET delay_warned = uv.dw, due = uv.nd, next_due = NULL, lease_owner = NULL,"
            + " lease_until = NULL, "
            + RCPT_FIELDS.stream()
                .map(f -> rcptArray(f) + " = rp." + rcptArray(f) + "[uv.r_from:uv.r_to]")
                .collect(Collectors.joining(", "))
            + " FROM uv CROSS JOIN rp WHERE e.id = ANY (ARRAY(SELECT id FROM uv))"
            + " AND e.id = uv.id AND e.lease_token = uv.token RETURNING e.id)";
    if (removing && updating) {
      return BY_INDEX
          + "WITH "
          + removals
          + ", "
          + updates
          + " SELECT id FROM d UNION ALL SELECT id FROM u";
    }
    return BY_INDEX
        + "WITH "
        + (removing ? removals + " SELECT id FROM d" : updates + " SELECT id FROM u");
  }

  /** Writes one outcome on its own (an entry with two outcomes in one group). */
  private boolean singleOutcome(Connection c, Outcome o, boolean retry) throws SQLException {
    if (o.entry != null) {
      return writeState(c, o.entry, OptionalToken.of(o.lease.token()));
    }
    if (deleteRow(c, o.lease.id(), OptionalToken.of(o.lease.token()))) {
      return true;
    }
    return retry && !exists(c, o.lease.id());
  }

  private static Object[] ids(List<Outcome> outcomes) {
    return outcomes.stream().map(o -> o.lease.id().value()).toArray();
  }

  private static Object[] tokens(List<Outcome> outcomes) {
    return outcomes.stream().map(o -> o.lease.token()).toArray();
  }

  /** Returns which of {@code ids} have an entry. */
  private Set<String> existing(Connection c, List<String> ids) throws SQLException {
    Set<String> out = new HashSet<>();
    try (PreparedStatement q =
        c.prepareStatement("SELECT id FROM " + schema.entry + " WHERE id = ANY (?::text[])")) {
      q.setArray(1, c.createArrayOf("text", ids.toArray()));
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  @Override
  public void release(QueueLease lease) {
    Objects.requireNonNull(lease, "lease");
    dropInline(lease.id());
    updateOne(
        "release",
        "UPDATE "
            + schema.entry
            + " SET lease_owner = NULL, lease_until = NULL"
            + " WHERE id = ? AND lease_token = ?",
        u -> {
          u.setString(1, lease.id().value());
          u.setLong(2, lease.token());
        });
  }

  /**
   * Gives leases back in one statement, each only while its token is still the entry's newest.
   *
   * @throws QueueStoreException when the database cannot be reached; the leases then expire
   */
  @Override
  public void release(Collection<QueueLease> leases) {
    Objects.requireNonNull(leases, "leases");
    if (leases.isEmpty()) {
      return;
    }
    List<QueueLease> all = List.copyOf(leases);
    all.forEach(l -> dropInline(l.id()));
    queryOne(
        "release",
        BY_INDEX
            + "WITH released AS (UPDATE "
            + schema.entry
            + " e SET lease_owner = NULL, lease_until = NULL"
            + " FROM unnest(?::text[], ?::bigint[]) AS l(id, token)"
            + " WHERE e.id = ANY (?::text[])"
            + " AND e.id = l.id AND e.lease_token = l.token RETURNING 1)"
            + " SELECT count(*) FROM released",
        u -> {
          Connection c = u.getConnection();
          u.setArray(3, c.createArrayOf("text", all.stream().map(l -> l.id().value()).toArray()));
          u.setArray(1, c.createArrayOf("text", all.stream().map(l -> l.id().value()).toArray()));
          u.setArray(2, c.createArrayOf("int8", all.stream().map(QueueLease::token).toArray()));
        },
        rs -> rs.getLong(1));
  }

  /** Returns true: per-day limits are counted in the database, for every instance at once. */
  @Override
  public boolean countsDailyLimits() {
    return true;
  }

  /**
   * Counts one message against a per-day limit in one conditional upsert on (key, day), so every
   * instance sees the same count and none exceeds the limit. After a lost connection the count is
   * repeated, so a message may be counted twice: the limit errs on the safe side. Counters of days
   * before yesterday are removed once a day.
   *
   * @throws IllegalArgumentException when {@code limit} is not positive
   * @throws QueueStoreException when the database cannot be reached
   */
  @Override
  public boolean takeDaily(String key, LocalDate day, int limit) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(day, "day");
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    checkOpenNow();
    LocalDate swept = lastSweep.get();
    if (swept == null || swept.isBefore(day)) {
      if (lastSweep.compareAndSet(swept, day)) {
        updateOne(
            "sweep daily counts",
            "DELETE FROM " + schema.daily + " WHERE day < ?",
            d -> d.setObject(1, day.minusDays(1)));
      }
    }
    Integer count =
        queryOne(
            "count daily limit",
            "INSERT INTO "
                + schema.daily
                + " AS d (key, day, count) VALUES (?, ?, 1) ON CONFLICT (key, day) DO UPDATE"
                + " SET count = d.count + 1 WHERE d.count < ? RETURNING d.count",
            q -> {
              q.setString(1, key);
              q.setObject(2, day);
              q.setInt(3, limit);
            },
            rs -> rs.getInt(1));
    return count != null;
  }

  /** The day counters were last swept for. */
  private final java.util.concurrent.atomic.AtomicReference<LocalDate> lastSweep =
      new java.util.concurrent.atomic.AtomicReference<>();

  /** The most bytes of claimed messages kept for their delivery. */
  private static final long INLINE_CACHE_BYTES = 32L << 20;

  /** Keeps the bytes that came with a claim for the delivery, while the budget allows. */
  private void keepInline(QueueLease lease, byte[] bytes) {
    if (lease == null) {
      return;
    }
    if (inlineBytes.addAndGet(bytes.length) > INLINE_CACHE_BYTES) {
      inlineBytes.addAndGet(-bytes.length);
      return; // over budget: message() reads these from the database
    }
    Inline old = inline.put(lease.id(), new Inline(lease.token(), bytes));
    if (old != null) {
      inlineBytes.addAndGet(-old.bytes().length);
    }
  }

  /** Forgets kept bytes: the lease ends, so the delivery is done with them. */
  private void dropInline(QueueId id) {
    Inline old = inline.remove(id);
    if (old != null) {
      inlineBytes.addAndGet(-old.bytes().length);
    }
  }

  /** Returns how many claimed messages' bytes are kept; for tests. */
  int inlineMessages() {
    return inline.size();
  }

  /**
   * Frees every expired lease in one conditional update, so the entries show as unleased; claims
   * take expired entries anyway, so calling this is optional (for monitoring, say). The lease token
   * is kept: the late owner's write still applies until another claim is made.
   *
   * @return how many leases had expired
   * @throws QueueStoreException when the database cannot be reached
   */
  public int rescueExpired() {
    int n =
        updateOne(
            "rescue",
            "UPDATE "
                + schema.entry
                + " SET lease_owner = NULL, lease_until = NULL"
                + " WHERE lease_until < now()",
            u -> {});
    if (n > 0) {
      LOG.info("freed {} expired queue leases", n);
    }
    return n;
  }

  /**
   * Runs ahead of the statements that look entries up by many ids, in the same round trip and the
   * same implicit transaction (a local {@code set_config} lasts until that ends; unlike {@code SET
   * LOCAL} it does not make the server warn, and log, outside a transaction block): with
   * sequential scans off, the server plans every lookup by index. The plan it caches for a pooled
   * connection after a few executions is then one that stays good as the tables grow, even when
   * made while the queue was nearly empty, where reading the whole table looks cheaper and would
   * be kept until the tables are next analysed. With generic plans forced, the statements are not
   * planned afresh on every execution either: left to choose, the server kept making custom plans
   * for the claim (on 3,415 of 4,400 executions end to end), which took 70% as long as running it.
   */
  private static final String BY_INDEX =
      "SELECT set_config('enable_seqscan', 'off', true),"
          + " set_config('plan_cache_mode', 'force_generic_plan', true); ";

  /** Executes a statement prefixed with {@link #BY_INDEX}; returns the rows of the second. */
  private static ResultSet byIndexQuery(PreparedStatement s) throws SQLException {
    s.execute(); // the first result is the SET's
    while (!s.getMoreResults()) {
      if (s.getUpdateCount() == -1) {
        throw new SQLException("the queue statement returned no rows");
      }
    }
    return s.getResultSet();
  }

  /** Reads one row. */
  @FunctionalInterface
  private interface Row<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** Runs one query, repeatable; returns what {@code row} makes of its first row, null if none. */
  private <T> T queryOne(String what, String sql, Binder binder, Row<T> row) {
    return run(
        what,
        true,
        (c, retry) -> {
          try (PreparedStatement q = c.prepareStatement(sql)) {
            binder.bind(q);
            try (ResultSet rs =
                sql.startsWith(BY_INDEX) ? byIndexQuery(q) : q.executeQuery()) {
              return rs.next() ? row.read(rs) : null;
            }
          }
        });
  }

  /** Runs one statement that is safe to repeat; returns its row count. */
  private int updateOne(String what, String sql, Binder binder) {
    return run(
        what,
        true,
        (c, retry) -> {
          try (PreparedStatement u = c.prepareStatement(sql)) {
            binder.bind(u);
            return u.executeUpdate();
          }
        });
  }

  private boolean exists(Connection c, QueueId id) throws SQLException {
    try (PreparedStatement q =
        c.prepareStatement("SELECT 1 FROM " + schema.entry + " WHERE id = ?")) {
      q.setString(1, id.value());
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }

  // ---------------------------------------------------------------- reading rows

  /** Groups joined entry and recipient rows (ordered by entry) into entries. */
  private Map<QueueId, QueueEntry> readEntries(ResultSet rs) throws SQLException {
    Map<QueueId, QueueEntry> out = new LinkedHashMap<>();
    QueueId id = null;
    ResultRow head = null;
    List<RecipientState> states = new ArrayList<>();
    while (rs.next()) {
      QueueId rowId = new QueueId(rs.getString(1));
      if (!rowId.equals(id)) {
        if (head != null) {
          finish(head, states, out);
        }
        id = rowId;
        head = new ResultRow(rs, false);
        states = new ArrayList<>();
      }
      states.add(recipient(rs, 9));
    }
    if (head != null) {
      finish(head, states, out);
    }
    return out;
  }

  /** The entry columns of the first row of an entry. */
  private static final class ResultRow {
    final QueueId id;
    final Optional<Mailbox> reversePath;
    final DsnOptions dsn;
    final Instant created;
    final boolean delayWarned;
    final String leaseOwner;
    final long leaseToken;
    final Instant leaseUntil;

    ResultRow(ResultSet rs, boolean lease) throws SQLException {
      id = new QueueId(rs.getString(1));
      String local = rs.getString(2);
      reversePath =
          local == null ? Optional.empty() : Optional.of(Mailbox.of(local, rs.getString(3)));
      Set<DsnOptions.Notify> notify = EnumSet.noneOf(DsnOptions.Notify.class);
      String names = rs.getString(4);
      if (!names.isEmpty()) {
        for (String n : names.split(",")) {
          notify.add(DsnOptions.Notify.valueOf(n));
        }
      }
      Optional<DsnOptions.Ret> ret =
          Optional.ofNullable(rs.getString(5)).map(DsnOptions.Ret::valueOf);
      dsn = new DsnOptions(notify, ret, Optional.ofNullable(rs.getString(6)));
      created = time(rs, 7).orElseThrow();
      delayWarned = rs.getBoolean(8);
      if (lease) {
        leaseOwner = rs.getString(20);
        leaseToken = rs.getLong(21);
        leaseUntil = time(rs, 22).orElseThrow();
      } else {
        leaseOwner = null;
        leaseToken = 0;
        leaseUntil = null;
      }
    }
  }

  private static void finish(
      ResultRow head, List<RecipientState> states, Map<QueueId, QueueEntry> out) {
    out.put(head.id, entryOf(head, states));
  }

  /** The entry of the entry columns {@code head} and its recipients. */
  private static QueueEntry entryOf(ResultRow head, List<RecipientState> states) {
    List<Mailbox> rcpts = states.stream().map(RecipientState::recipient).toList();
    return new QueueEntry(
        head.id, new Envelope(head.reversePath, rcpts, head.dsn), head.created, states,
        head.delayWarned);
  }

  private static RecipientState recipient(ResultSet rs, int at) throws SQLException {
    Mailbox m = Mailbox.of(rs.getString(at), rs.getString(at + 1));
    RecipientState.Status status = RecipientState.Status.valueOf(rs.getString(at + 2));
    int attempts = rs.getInt(at + 3);
    Optional<Instant> next = time(rs, at + 4);
    Optional<Instant> last = time(rs, at + 5);
    int code = rs.getInt(at + 6);
    Optional<ServerReply> reply = Optional.empty();
    if (!rs.wasNull()) {
      Optional<EnhancedStatus> es =
          Optional.ofNullable(rs.getString(at + 7)).map(EnhancedStatus::parse);
      reply = Optional.of(new ServerReply(code, es, List.of(rs.getString(at + 8).split("\n", -1))));
    }
    return new RecipientState(
        m,
        status,
        attempts,
        next,
        last,
        reply,
        Optional.ofNullable(rs.getString(at + 9)),
        Optional.ofNullable(rs.getString(at + 10)));
  }

  private static OffsetDateTime timestamp(Instant t) {
    return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  private static void setTime(PreparedStatement s, int index, Optional<Instant> t)
      throws SQLException {
    if (t.isPresent()) {
      s.setObject(index, timestamp(t.get()));
    } else {
      s.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    }
  }

  private static Optional<Instant> time(ResultSet rs, int index) throws SQLException {
    OffsetDateTime t = rs.getObject(index, OffsetDateTime.class);
    return t == null ? Optional.empty() : Optional.of(t.toInstant());
  }

  // ---------------------------------------------------------------- connections

  /**
   * Runs {@code work} on a fresh connection; when the connection is lost and the work is safe to
   * repeat, runs it again on another (the work is told it is a repeat).
   */
  private <T> T run(String what, boolean repeatable, SqlWork<T> work) {
    SQLException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try (Connection c = dataSource.getConnection()) {
        // a pool may hand the connection back as the last user left it; every failed
        // transaction here was rolled back, so this switch commits nothing
        if (!c.getAutoCommit()) {
          c.setAutoCommit(true);
        }
        T result = work.run(c, attempt > 1);
        if (!c.getAutoCommit()) {
          c.setAutoCommit(true);
        }
        return result;
      } catch (SQLException e) {
        last = e;
        if (!repeatable || !isConnectionLoss(e)) {
          break;
        }
        LOG.debug(
            "queue store {}: connection lost (SQLState {}), attempt {} of {}",
            what,
            e.getSQLState(),
            attempt,
            ATTEMPTS,
            e);
      } catch (IOException e) {
        throw new QueueStoreException(
            "queue store " + what + " failed: " + e.getMessage(), true, e);
      }
    }
    throw new QueueStoreException(
        "queue store "
            + what
            + " failed: "
            + last.getMessage()
            + " (SQLState "
            + last.getSQLState()
            + ")",
        isTemporary(last),
        last);
  }

  /** Returns true when {@code e} says the session is gone, so a new connection may succeed. */
  static boolean isConnectionLoss(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLRecoverableException || t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.startsWith("08")
            || state.equals("57P01")
            || state.equals("57P02")
            || state.equals("57P03")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Connection loss, serialization failures, deadlocks, lack of resources pass; the rest needs a
   * fix.
   */
  static boolean isTemporary(SQLException e) {
    String state = e.getSQLState();
    return isConnectionLoss(e)
        || (state != null
            && (state.startsWith("40") || state.startsWith("53") || state.startsWith("57")));
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      // the connection is likely gone; the transaction ends with it, so nothing is left half-done
      cause.addSuppressed(e);
    }
  }

  private void checkOpenNow() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }

  /** Stops taking writes; appends and outcomes being committed finish first. Idempotent. */
  @Override
  public void close() {
    closed = true;
    appends.close();
    outcomes.close();
    inline.clear();
    inlineBytes.set(0);
  }

  // ---------------------------------------------------------------- builder

  /**
   * Configures a {@link PostgresQueueStore}. The data source is required. Not thread-safe.
   *
   * @since 0.1
   */
  public static final class Builder {
    private DataSource dataSource;
    private String schema = "public";
    private String tablePrefix = "mailcore_queue_";
    private String owner;
    private Duration leaseDuration = Duration.ofMinutes(5);
    private Clock clock = Clock.systemUTC();
    private int chunkSize = DEFAULT_CHUNK;
    private int groupCommit = 64;

    private Builder() {}

    /** Sets where connections come from, one per operation; a pool as a rule. Required. */
    public Builder dataSource(DataSource value) {
      this.dataSource = Objects.requireNonNull(value, "dataSource");
      return this;
    }

    /**
     * Sets the schema of the tables, created when missing; default {@code public}.
     *
     * @throws IllegalArgumentException when not 1 to 40 of a-z, 0-9 and _, starting with a letter
     *     or _
     */
    public Builder schema(String value) {
      this.schema = PostgresSchema.checkName(Objects.requireNonNull(value, "schema"), "schema");
      return this;
    }

    /**
     * Sets the prefix of the table names, so several queues share a schema; default {@code
     * mailcore_queue_} (tables {@code mailcore_queue_entry}, {@code _recipient}, {@code _chunk},
     * {@code _schema_version}).
     *
     * @throws IllegalArgumentException when not empty and not 1 to 40 of a-z, 0-9 and _
     */
    public Builder tablePrefix(String value) {
      Objects.requireNonNull(value, "tablePrefix");
      if (!value.isEmpty()) {
        PostgresSchema.checkName(value, "table prefix");
      }
      this.tablePrefix = value;
      return this;
    }

    /**
     * Sets this instance's id, as leases name it; unique per running instance. Default: the process
     * id and a random part.
     *
     * @throws IllegalArgumentException when empty or longer than 200 characters
     */
    public Builder owner(String value) {
      Objects.requireNonNull(value, "owner");
      if (value.isEmpty() || value.length() > 200) {
        throw new IllegalArgumentException(
            "owner must have 1 to 200 characters: " + value.length());
      }
      this.owner = value;
      return this;
    }

    /**
     * Sets how long a claim leases an entry before another instance may rescue it; renew well
     * within it. Default 5 minutes.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder leaseDuration(Duration value) {
      Objects.requireNonNull(value, "leaseDuration");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("lease duration must be positive: " + value);
      }
      this.leaseDuration = value;
      return this;
    }

    /**
     * Sets the Java-side clock, the {@code now} of {@link PostgresQueueStore#claim(int)}; lease
     * expiry is on the database clock. Default UTC system clock.
     */
    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /**
     * Sets the size of the chunks message bytes are stored in; default 1 MiB.
     *
     * @throws IllegalArgumentException when below 1 KiB or above 64 MiB
     */
    public Builder chunkSize(int bytes) {
      if (bytes < 1024 || bytes > 64 << 20) {
        throw new IllegalArgumentException("chunk size must be 1 KiB to 64 MiB: " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    /**
     * Sets the most appends, and the most lease outcomes, committed in one transaction; 1 turns
     * group commit off. Default 64.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder groupCommit(int maxMessages) {
      if (maxMessages <= 0) {
        throw new IllegalArgumentException("group commit size must be positive: " + maxMessages);
      }
      this.groupCommit = maxMessages;
      return this;
    }

    /**
     * Builds the store, creating or migrating its tables first, then removing recipient and chunk
     * rows without their entry (left by an instance of an older version, which relied on the
     * foreign keys schema version 5 dropped).
     *
     * @throws IllegalStateException when the data source is missing, or the database holds a newer
     *     schema than this library knows
     * @throws QueueStoreException when the database cannot be reached or the tables not created
     */
    public PostgresQueueStore build() {
      if (dataSource == null) {
        throw new IllegalStateException("a PostgreSQL queue store needs a data source");
      }
      PostgresQueueStore store = new PostgresQueueStore(this);
      store.run("migrate schema", true, (c, retry) -> store.schema.migrate(c));
      store.run("remove orphaned rows", true, (c, retry) -> store.schema.removeOrphans(c));
      store.adopt();
      return store;
    }
  }
}
