package dev.mailcore.smtp.queue.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue's tables and their migrations. Every migration runs in one transaction that first takes
 * a transaction-scoped advisory lock named after the schema and prefix, so instances starting at
 * the same moment apply each step once and the others find it done; DDL in PostgreSQL is
 * transactional, so a failed step leaves nothing behind.
 */
final class PostgresSchema {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresSchema.class);
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,39}");

  /** One step: the version it brings the schema to, what it does, its statements. */
  private record Migration(int version, String description, List<String> statements) {}

  final String schema;
  final String prefix;
  final String entry;
  final String recipient;
  final String chunk;
  final String daily;
  final String version;

  PostgresSchema(String schema, String prefix) {
    this.schema = checkName(schema, "schema");
    if (!prefix.isEmpty()) {
      checkName(prefix, "table prefix");
    }
    this.prefix = prefix;
    this.entry = table("entry");
    this.recipient = table("recipient");
    this.chunk = table("chunk");
    this.daily = table("daily_count");
    this.version = table("schema_version");
  }

  /** Returns true when {@code name} is a lower-case SQL identifier this store accepts. */
  static String checkName(String name, String what) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what + " must be 1 to 40 of a-z, 0-9 and _, not starting with a digit: " + name);
    }
    return name;
  }

  private String table(String name) {
    return "\"" + schema + "\".\"" + prefix + name + "\"";
  }

  /** The newest version this library knows. */
  int latest() {
    List<Migration> all = migrations();
    return all.get(all.size() - 1).version();
  }

  private List<Migration> migrations() {
    String p = prefix;
    return List.of(
        new Migration(
            1,
            "entries, recipients, message chunks",
            List.of(
                "CREATE TABLE "
                    + entry
                    + " ("
                    + " id text COLLATE \"C\" PRIMARY KEY,"
                    + " seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
                    + " idempotency_key text UNIQUE,"
                    + " reverse_local text, reverse_domain text,"
                    + " dsn_notify text NOT NULL, dsn_ret text, dsn_envid text,"
                    + " created timestamptz NOT NULL,"
                    + " delay_warned boolean NOT NULL,"
                    + " next_due timestamptz,"
                    + " size bigint NOT NULL DEFAULT 0,"
                    + " chunks integer NOT NULL DEFAULT 0,"
                    + " lease_owner text,"
                    + " lease_token bigint NOT NULL DEFAULT 0,"
                    + " lease_until timestamptz,"
                    + " stored_at timestamptz NOT NULL DEFAULT now())",
                "CREATE INDEX \""
                    + p
                    + "entry_due\" ON "
                    + entry
                    + " (next_due, id) WHERE next_due IS NOT NULL",
                "CREATE INDEX \""
                    + p
                    + "entry_lease\" ON "
                    + entry
                    + " (lease_until) WHERE lease_until IS NOT NULL",
                "CREATE TABLE "
                    + recipient
                    + " ("
                    + " entry_id text COLLATE \"C\" NOT NULL REFERENCES "
                    + entry
                    + " (id) ON DELETE CASCADE, idx integer NOT NULL, local_part text NOT NULL,"
                    + " domain text NOT NULL, ascii_domain text NOT NULL, status text NOT NULL"
                    + " CHECK (status IN ('PENDING', 'DELIVERED', 'DEFERRED', 'FAILED')), attempts"
                    + " integer NOT NULL, next_attempt timestamptz, last_attempt timestamptz,"
                    + " reply_code integer, reply_status text, reply_text text, diagnostic text,"
                    + " remote_host text, PRIMARY KEY (entry_id, idx))",
                "CREATE INDEX \""
                    + p
                    + "recipient_due\" ON "
                    + recipient
                    + " (ascii_domain, next_attempt) WHERE next_attempt IS NOT NULL",
                "CREATE TABLE "
                    + chunk
                    + " ("
                    + " entry_id text COLLATE \"C\" NOT NULL REFERENCES "
                    + entry
                    + " (id) ON DELETE CASCADE,"
                    + " seq integer NOT NULL,"
                    + " data bytea NOT NULL,"
                    + " PRIMARY KEY (entry_id, seq))")),
        new Migration(
            2,
            "per-day rate limit counters shared by all instances",
            List.of(
                "CREATE TABLE "
                    + daily
                    + " (key text COLLATE \"C\" NOT NULL, day date NOT NULL,"
                    + " count integer NOT NULL, PRIMARY KEY (key, day))")),
        new Migration(
            3,
            "message chunks compressed with LZ4 where the server has it",
            // LZ4 (PostgreSQL 14 and newer, when built with it) costs a fraction of the CPU of the
            // default pglz, on every append and every read of a compressible message; only new
            // values are affected, so the step is instant
            List.of(
                "DO $$ BEGIN IF current_setting('server_version_num')::int >= 140000 AND EXISTS"
                    + " (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
                    + " AND 'lz4' = ANY (enumvals)) THEN EXECUTE 'ALTER TABLE "
                    + chunk.replace("'", "''")
                    + " ALTER COLUMN data SET COMPRESSION lz4'; END IF; END $$")),
        new Migration(
            4,
            "claims update entries in place (heap-only tuples)",
            // a claim, a renewal and a release change only the lease columns: with no index on
            // them, and room on each page for a second version of every row (entry rows are small,
            // a few hundred bytes), PostgreSQL updates the row in place (HOT) instead of adding a
            // tuple to each of the entry table's five indexes; freeing expired leases in bulk
            // (rescueExpired, rarely used) reads the table instead of the index
            List.of(
                "DROP INDEX IF EXISTS \"" + schema + "\".\"" + p + "entry_lease\"",
                "ALTER TABLE " + entry + " SET (fillfactor = 50)")),
        new Migration(
            5,
            "recipients and chunks removed with their entry by the store, not by foreign keys",
            // a foreign key costs a trigger and a query per row: a lookup (and a lock) of the
            // entry for every recipient and chunk inserted, a cascading delete per entry removed;
            // the store writes an entry and its rows in one statement or transaction and removes
            // them together the same way, so the keys guarded nothing it does not already ensure
            List.of(
                "DO $$ DECLARE c record; BEGIN FOR c IN SELECT conrelid::regclass AS t, conname"
                    + " FROM pg_constraint WHERE contype = 'f' AND confrelid = '"
                    + entry.replace("'", "''")
                    + "'::regclass AND conrelid IN ('"
                    + recipient.replace("'", "''")
                    + "'::regclass, '"
                    + chunk.replace("'", "''")
                    + "'::regclass) LOOP EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I',"
                    + " c.t, c.conname); END LOOP; END $$")),
        new Migration(
            6,
            "recipients and one-chunk messages in the entry row, due time in its own column",
            // one row per message where there were three (entry, recipient, chunk), each with its
            // indexes: an append, a claim and a removal touch one table. Entries of this version
            // keep their due time in "due" and leave next_due null, so an instance of an older
            // version (which reads recipients and bytes from their own tables) never claims one;
            // the entries such an instance writes (next_due set, recipients in rows) are taken
            // over by upgraded instances once unleased (PostgresQueueStore.adopt). The unique
            // constraints on seq (an identity column) and on the idempotency key (null for most
            // entries, but indexed all the same) become a partial index on the keys there are
            List.of(
                "ALTER TABLE "
                    + entry
                    + " ADD COLUMN due timestamptz, ADD COLUMN body bytea,"
                    + " ADD COLUMN rcpt_local text[], ADD COLUMN rcpt_domain text[],"
                    + " ADD COLUMN rcpt_ascii_domain text[], ADD COLUMN rcpt_status text[],"
                    + " ADD COLUMN rcpt_attempts integer[], ADD COLUMN rcpt_next_attempt"
                    + " timestamptz[], ADD COLUMN rcpt_last_attempt timestamptz[],"
                    + " ADD COLUMN rcpt_reply_code integer[], ADD COLUMN rcpt_reply_status text[],"
                    + " ADD COLUMN rcpt_reply_text text[], ADD COLUMN rcpt_diagnostic text[],"
                    + " ADD COLUMN rcpt_remote_host text[]",
                "DO $$ BEGIN IF current_setting('server_version_num')::int >= 140000 AND EXISTS"
                    + " (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
                    + " AND 'lz4' = ANY (enumvals)) THEN EXECUTE 'ALTER TABLE "
                    + entry.replace("'", "''")
                    + " ALTER COLUMN body SET COMPRESSION lz4'; END IF; END $$",
                "CREATE INDEX \""
                    + p
                    + "entry_due_at\" ON "
                    + entry
                    + " (due, id) WHERE due IS NOT NULL",
                "CREATE UNIQUE INDEX \""
                    + p
                    + "entry_key\" ON "
                    + entry
                    + " (idempotency_key) WHERE idempotency_key IS NOT NULL",
                "DO $$ DECLARE c record; BEGIN FOR c IN SELECT conname FROM pg_constraint"
                    + " WHERE contype = 'u' AND conrelid = '"
                    + entry.replace("'", "''")
                    + "'::regclass LOOP EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', '"
                    + entry.replace("'", "''")
                    + "', c.conname); END LOOP; END $$")));
  }

  /**
   * Removes recipient and chunk rows whose entry is gone: rows an instance of a version before 5,
   * still relying on the dropped foreign keys, left behind when it removed an entry.
   *
   * @return how many rows were removed
   */
  int removeOrphans(Connection c) throws SQLException {
    int n = 0;
    try (Statement s = c.createStatement()) {
      for (String child : List.of(recipient, chunk)) {
        n +=
            s.executeUpdate(
                "DELETE FROM "
                    + child
                    + " x WHERE NOT EXISTS (SELECT 1 FROM "
                    + entry
                    + " e WHERE e.id = x.entry_id)");
      }
    }
    if (n > 0) {
      LOG.info("removed {} queue rows of entries removed by an older version", n);
    }
    return n;
  }

  /**
   * Brings the schema to {@link #latest()}; safe to run from several instances at once.
   *
   * @return the versions applied by this call (empty when the schema was current)
   * @throws SQLException when a step fails; the schema stays at the last complete version
   * @throws IllegalStateException when the database holds a newer schema than this library knows
   */
  List<Integer> migrate(Connection c) throws SQLException {
    return migrate(c, latest());
  }

  /** Brings the schema to version {@code target} at most, as {@link #migrate(Connection)}. */
  List<Integer> migrate(Connection c, int target) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      List<Integer> applied = new java.util.ArrayList<>();
      try (Statement s = c.createStatement()) {
        lock(c);
        boolean hasSchema;
        try (PreparedStatement q =
            c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
          q.setString(1, schema);
          try (ResultSet rs = q.executeQuery()) {
            hasSchema = rs.next();
          }
        }
        if (!hasSchema) {
          s.execute("CREATE SCHEMA \"" + schema + "\"");
        }
        s.execute(
            "CREATE TABLE IF NOT EXISTS "
                + version
                + " (version integer PRIMARY KEY,"
                + " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        c.commit();
      }
      for (Migration m : migrations()) {
        lock(c);
        int current = current(c);
        if (current > latest()) {
          throw new IllegalStateException(
              "queue schema "
                  + schema
                  + "."
                  + prefix
                  + " is at version "
                  + current
                  + ", newer than this library's "
                  + latest()
                  + "; upgrade mailcore");
        }
        if (current >= m.version() || m.version() > target) {
          c.commit();
          continue;
        }
        try (Statement s = c.createStatement()) {
          for (String sql : m.statements()) {
            s.execute(sql);
          }
        }
        try (PreparedStatement ins =
            c.prepareStatement(
                "INSERT INTO " + version + " (version, description) VALUES (?, ?)")) {
          ins.setInt(1, m.version());
          ins.setString(2, m.description());
          ins.executeUpdate();
        }
        c.commit();
        applied.add(m.version());
        LOG.info(
            "queue schema {}.{} migrated to version {}: {}",
            schema,
            prefix,
            m.version(),
            m.description());
      }
      return List.copyOf(applied);
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /** Returns the schema version in the database, 0 when none was applied. */
  int current(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT coalesce(max(version), 0) FROM " + version)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private void lock(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      s.setLong(1, lockKey());
      s.execute();
    }
  }

  /** A stable key per schema and prefix: String.hashCode is specified, so every JVM agrees. */
  long lockKey() {
    return 0x6d63_0000_0000_0000L
        | (("mailcore-queue:" + schema + "." + prefix).hashCode() & 0xffff_ffffL);
  }
}
