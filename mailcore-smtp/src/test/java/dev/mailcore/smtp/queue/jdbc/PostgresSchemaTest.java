package dev.mailcore.smtp.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueId;
import dev.mailcore.smtp.queue.QueueLease;
import dev.mailcore.smtp.queue.RecipientState;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresServer.class)
@Timeout(60)
class PostgresSchemaTest {

  private final String schemaName = PostgresServer.newSchema();
  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
  }

  /** Builds (so migrates) and closes a store with {@code prefix} in this test's schema. */
  private void buildStore(String prefix) {
    PostgresQueueStore.builder()
        .dataSource(PostgresServer.get().admin())
        .schema(schemaName)
        .tablePrefix(prefix)
        .build()
        .close();
  }

  private List<String> tables() throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = '"
                    + schemaName
                    + "' ORDER BY table_name")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private List<Integer> versions(String prefix) throws SQLException {
    List<Integer> out = new ArrayList<>();
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT version FROM \""
                    + schemaName
                    + "\".\""
                    + prefix
                    + "schema_version\" ORDER BY version")) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    }
    return out;
  }

  @Test
  void migrationRunConcurrentlyFromFourThreadsAppliesEachVersionOnce() throws Exception {
    PostgresSchema schema = new PostgresSchema(schemaName, "q_");
    CyclicBarrier start = new CyclicBarrier(4);
    List<Future<List<Integer>>> runs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      runs.add(
          pool.submit(
              () -> {
                try (Connection c = PostgresServer.get().dataSource("migrate").getConnection()) {
                  start.await();
                  return schema.migrate(c);
                }
              }));
    }
    List<List<Integer>> applied = new ArrayList<>();
    for (Future<List<Integer>> f : runs) {
      applied.add(f.get(30, TimeUnit.SECONDS));
    }

    // each version is its own locked transaction: runs may share the work, never repeat it
    assertThat(applied.stream().flatMap(List::stream).sorted().toList())
        .as("every version applied exactly once, by one run or another")
        .containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(applied).allSatisfy(a -> assertThat(a).isSorted());
    assertThat(versions("q_")).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(tables())
        .containsExactly(
            "q_chunk", "q_daily_count", "q_entry", "q_recipient", "q_schema_version");
  }

  @Test
  void buildingAStoreOnACurrentSchemaChangesNothing() throws Exception {
    buildStore("mailcore_queue_");
    PostgresSchema schema = new PostgresSchema(schemaName, "mailcore_queue_");

    try (Connection c = PostgresServer.get().connect()) {
      assertThat(schema.migrate(c)).isEmpty();
      assertThat(schema.current(c)).isEqualTo(schema.latest());
    }
    assertThat(versions("mailcore_queue_")).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void twoPrefixesInOneSchemaKeepSeparateTables() throws Exception {
    buildStore("a_");
    buildStore("b_");

    assertThat(tables()).contains("a_entry", "b_entry", "a_schema_version", "b_schema_version");
  }

  @Test
  void aSchemaNewerThanTheLibraryIsRefused() throws Exception {
    buildStore("mailcore_queue_");
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement()) {
      s.executeUpdate(
          "INSERT INTO \""
              + schemaName
              + "\".mailcore_queue_schema_version (version, description) VALUES (99, 'future')");
    }

    assertThatThrownBy(
            () ->
                PostgresQueueStore.builder()
                    .dataSource(PostgresServer.get().admin())
                    .schema(schemaName)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("version 99");
  }

  @Test
  void messageBytesAreCompressedWithLz4WhenTheServerHasIt() throws Exception {
    buildStore("z_");
    String chunk = "\"" + schemaName + "\".\"z_chunk\"";
    String entry = "\"" + schemaName + "\".\"z_entry\"";
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement()) {
      boolean lz4;
      try (ResultSet rs =
          s.executeQuery(
              "SELECT current_setting('server_version_num')::int >= 140000 AND EXISTS (SELECT 1"
                  + " FROM pg_settings WHERE name = 'default_toast_compression'"
                  + " AND 'lz4' = ANY (enumvals))")) {
        rs.next();
        lz4 = rs.getBoolean(1);
      }
      for (String column : List.of(chunk + "'::regclass AND attname = 'data'",
          entry + "'::regclass AND attname = 'body'")) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT attcompression FROM pg_attribute WHERE attrelid = '" + column)) {
          rs.next();
          assertThat(rs.getString(1)).as(column).isEqualTo(lz4 ? "l" : "");
        }
      }
      if (lz4) {
        // a compressible message stored through the store comes back whole, kept as LZ4
        byte[] body = "Hello, queue.\r\n".repeat(4000).getBytes(StandardCharsets.US_ASCII);
        try (PostgresQueueStore store =
            PostgresQueueStore.builder()
                .dataSource(PostgresServer.get().dataSource("lz4"))
                .schema(schemaName)
                .tablePrefix("z_")
                .build()) {
          QueueEntry e =
              QueueEntry.ofNew(
                  new QueueId("lz4"),
                  Envelope.of(Mailbox.of("a", "b.example"), List.of(Mailbox.of("c", "d.example"))),
                  Instant.parse("2026-01-01T00:00:00Z"));
          store.append(e, Content.ofBytes(body));
          try (InputStream in = store.message(e.id()).open()) {
            assertThat(in.readAllBytes()).isEqualTo(body);
          }
        }
        // a message of one chunk is kept in its entry row
        try (ResultSet rs =
            s.executeQuery("SELECT pg_column_compression(body) FROM " + entry)) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo("lz4");
        }
      }
    }
  }

  @Test
  void claimsUpdateEntriesInPlaceWithNoIndexOnTheLeaseColumns() throws Exception {
    buildStore("h_");
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT indexdef FROM pg_indexes WHERE schemaname = '"
                  + schemaName
                  + "' AND tablename = 'h_entry'")) {
        List<String> indexes = new ArrayList<>();
        while (rs.next()) {
          indexes.add(rs.getString(1));
        }
        assertThat(indexes).isNotEmpty().noneMatch(d -> d.contains("lease"));
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT reloptions FROM pg_class WHERE oid = '\""
                  + schemaName
                  + "\".\"h_entry\"'::regclass")) {
        rs.next();
        assertThat(rs.getString(1)).contains("fillfactor=50");
      }
    }
    // with the lease index gone, freeing expired leases still works (by reading the table)
    PostgresQueueStore store =
        PostgresQueueStore.builder()
            .dataSource(PostgresServer.get().dataSource("hot"))
            .schema(schemaName)
            .tablePrefix("h_")
            .leaseDuration(java.time.Duration.ofMillis(1))
            .build();
    try (store) {
      store.append(
          QueueEntry.ofNew(
              new QueueId("h1"),
              Envelope.of(Mailbox.of("a", "b.example"), List.of(Mailbox.of("c", "d.example"))),
              Instant.parse("2026-01-01T00:00:00Z")),
          Content.ofString("x", StandardCharsets.US_ASCII));
      assertThat(store.claim(Instant.parse("2026-01-01T00:00:00Z"), 1)).hasSize(1);
      Thread.sleep(20); // past the 1 ms lease on the database clock
      assertThat(store.rescueExpired()).isEqualTo(1);
    }
  }

  @Test
  void version5DropsTheForeignKeysAndKeepsQueuedEntriesClaimable() throws Exception {
    PostgresSchema schema = new PostgresSchema(schemaName, "f_");
    String t = "\"" + schemaName + "\".\"f_";
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement()) {
      assertThat(schema.migrate(c, 4)).containsExactly(1, 2, 3, 4);
      assertThat(foreignKeys(s)).isEqualTo(2);
      // an entry queued by the version before, and one an older instance removes after the step
      for (String id : List.of("old", "gone")) {
        s.executeUpdate(
            "INSERT INTO "
                + t
                + "entry\" (id, dsn_notify, created, delay_warned, next_due, size, chunks)"
                + " VALUES ('"
                + id
                + "', '', '2026-01-01T00:00:00Z', false, '2026-01-01T00:00:00Z', 2, 1)");
        s.executeUpdate(
            "INSERT INTO "
                + t
                + "recipient\" (entry_id, idx, local_part, domain, ascii_domain, status,"
                + " attempts, next_attempt) VALUES ('"
                + id
                + "', 0, 'c', 'd.example', 'd.example', 'PENDING', 0, '2026-01-01T00:00:00Z')");
        s.executeUpdate(
            "INSERT INTO " + t + "chunk\" (entry_id, seq, data) VALUES ('" + id + "', 0, 'hi')");
      }

      assertThat(schema.migrate(c, 5)).containsExactly(5);
      assertThat(foreignKeys(s)).isZero();
      // an instance of the version before removes an entry, counting on the cascade
      s.executeUpdate("DELETE FROM " + t + "entry\" WHERE id = 'gone'");
    }

    try (PostgresQueueStore store =
        PostgresQueueStore.builder()
            .dataSource(PostgresServer.get().dataSource("fk"))
            .schema(schemaName)
            .tablePrefix("f_")
            .build()) {
      // the build removed the rows the older instance left behind (and, migrating to version 6,
      // moved the recipients of the entry still queued into its row)
      try (Connection c = PostgresServer.get().connect();
          Statement s = c.createStatement()) {
        for (String child : List.of("recipient", "chunk")) {
          try (ResultSet rs =
              s.executeQuery("SELECT string_agg(entry_id, ',') FROM " + t + child + "\"")) {
            rs.next();
            assertThat(rs.getString(1)).as(child).isEqualTo(child.equals("chunk") ? "old" : null);
          }
        }
      }
      List<QueueLease> leases = store.claim(Instant.parse("2026-01-01T00:00:01Z"), 10);
      assertThat(leases).extracting(l -> l.id().value()).containsExactly("old");
      try (InputStream in = store.message(new QueueId("old")).open()) {
        assertThat(in.readAllBytes()).isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));
      }
    }
  }

  /** Writes an entry as an instance of schema version 5 does: recipient and chunk rows. */
  private static void insertVersion5Entry(Statement s, String t, String id, String extra)
      throws SQLException {
    s.executeUpdate(
        "INSERT INTO "
            + t
            + "entry\" (id, dsn_notify, created, delay_warned, next_due, size, chunks"
            + (extra.isEmpty() ? "" : ", idempotency_key, lease_owner, lease_token, lease_until")
            + ") VALUES ('"
            + id
            + "', '', '2026-01-01T00:00:00Z', false, '2026-01-01T00:00:00Z', 5, 1"
            + extra
            + ")");
    s.executeUpdate(
        "INSERT INTO "
            + t
            + "recipient\" (entry_id, idx, local_part, domain, ascii_domain, status, attempts,"
            + " next_attempt, last_attempt, reply_code, reply_status, reply_text) VALUES ('"
            + id
            + "', 0, 'done', 'd.example', 'd.example', 'DELIVERED', 1, NULL,"
            + " '2025-12-31T23:00:00Z', 250, '2.0.0', 'ok'), ('"
            + id
            + "', 1, 'next', 'e.example', 'e.example', 'PENDING', 1, '2026-01-01T00:00:00Z',"
            + " '2025-12-31T23:00:00Z', 451, NULL, 'later')");
    s.executeUpdate(
        "INSERT INTO " + t + "chunk\" (entry_id, seq, data) VALUES ('" + id + "', 0, 'hello')");
  }

  private static String oneString(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static QueueEntry newEntry(String id, Instant at) {
    return QueueEntry.ofNew(
        new QueueId(id),
        Envelope.of(Mailbox.of("a", "b.example"), List.of(Mailbox.of("c", "d.example"))),
        at);
  }

  @Test
  void version6KeepsRecipientsInTheEntryRowAndTakesOverWhatOlderInstancesWrite()
      throws Exception {
    PostgresSchema schema = new PostgresSchema(schemaName, "m_");
    String t = "\"" + schemaName + "\".\"m_";
    Instant now = Instant.parse("2026-01-01T00:00:01Z");
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement()) {
      assertThat(schema.migrate(c, 5)).containsExactly(1, 2, 3, 4, 5);
      insertVersion5Entry(s, t, "queued", "");
      // leased by an instance of version 5 that is still delivering it
      insertVersion5Entry(s, t, "leased", ", 'k1', 'old-instance', 3, now() + interval '1 hour'");
      assertThat(schema.migrate(c)).containsExactly(6);
      // no unique constraint but the key, and that one only where a key is given
      assertThat(oneString(s, "SELECT count(*) FROM pg_constraint WHERE contype = 'u' AND"
          + " conrelid = '" + t + "entry\"'::regclass")).isEqualTo("0");
      assertThat(oneString(s, "SELECT indexdef FROM pg_indexes WHERE indexname = 'm_entry_key'"
          + " AND schemaname = '" + schemaName + "'"))
          .contains("UNIQUE").contains("WHERE (idempotency_key IS NOT NULL)");
      // an instance of version 5 still running appends after the step
      insertVersion5Entry(s, t, "late", "");
    }

    try (PostgresQueueStore store =
        PostgresQueueStore.builder()
            .dataSource(PostgresServer.get().dataSource("v6"))
            .schema(schemaName)
            .tablePrefix("m_")
            .build();
        Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement()) {
      // the build took over the unleased entries: their recipients moved into the row
      assertThat(oneString(s, "SELECT string_agg(DISTINCT entry_id, ',') FROM " + t
          + "recipient\"")).isEqualTo("leased");
      // a late write of the older instance for an entry taken over no longer applies
      assertThat(s.executeUpdate("UPDATE " + t + "entry\" SET next_due = now()"
          + " WHERE id = 'queued' AND lease_token = 0")).isZero();
      // the entry still leased to the older instance reads as before
      QueueEntry leased = store.entry(new QueueId("leased")).orElseThrow();
      assertThat(leased.recipients()).extracting(r -> r.recipient().localPart())
          .containsExactly("done", "next");
      // a plain state write (retryNow, say) does not convert it under the older instance's lease,
      // whose outcome would then find no recipient rows to write
      assertThatThrownBy(() -> store.update(leased))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("older mailcore version");
      assertThat(oneString(s, "SELECT count(*) FROM " + t + "recipient\" WHERE entry_id = 'leased'"))
          .isEqualTo("2");

      List<QueueLease> claimed = store.claim(now, 10);
      assertThat(claimed).extracting(l -> l.id().value()).containsExactly("late", "queued");
      for (QueueLease lease : claimed) {
        List<RecipientState> rs = lease.entry().recipients();
        assertThat(rs).extracting(RecipientState::status)
            .containsExactly(RecipientState.Status.DELIVERED, RecipientState.Status.PENDING);
        assertThat(rs.get(0).lastReply().orElseThrow().code()).isEqualTo(250);
        assertThat(rs.get(1).nextAttempt()).contains(Instant.parse("2026-01-01T00:00:00Z"));
        try (InputStream in = store.message(lease.id()).open()) {
          assertThat(in.readAllBytes()).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
        }
      }
      assertThat(store.delete(claimed.get(1))).isTrue();
      assertThat(oneString(s, "SELECT count(*) FROM " + t + "chunk\" WHERE entry_id = 'queued'"))
          .isEqualTo("0");

      // an entry of this version has no recipient or chunk rows, and no next_due, so an older
      // instance (which claims by next_due) never takes it
      QueueEntry fresh = newEntry("fresh", now);
      store.append(fresh, Content.ofString("hi", StandardCharsets.US_ASCII));
      assertThat(oneString(s, "SELECT count(*) FROM " + t + "entry\" WHERE id = 'fresh'"
          + " AND next_due IS NULL AND due IS NOT NULL AND body = 'hi'")).isEqualTo("1");
      assertThat(oneString(s, "SELECT (SELECT count(*) FROM " + t + "recipient\" WHERE entry_id"
          + " = 'fresh') + (SELECT count(*) FROM " + t + "chunk\" WHERE entry_id = 'fresh')"))
          .isEqualTo("0");
      // the key of the entry the older instance stored still makes a retried append a no-op
      QueueEntry retried = newEntry("retried", now);
      assertThat(store.append(retried, Content.ofString("x", StandardCharsets.US_ASCII), "k1"))
          .isEqualTo(new QueueId("leased"));

      // the older instance stops: once its lease has run out, the next adoption takes the entry
      s.executeUpdate("UPDATE " + t + "entry\" SET lease_until = now() - interval '1 second'"
          + " WHERE id = 'leased'");
      List<QueueLease> rescued = store.claim(now.plusSeconds(60), 10);
      assertThat(rescued).extracting(l -> l.id().value()).containsExactly("leased", "fresh");
      assertThat(rescued.get(0).token()).isEqualTo(5); // 3, then the adoption, then the claim
      assertThat(oneString(s, "SELECT count(*) FROM " + t + "recipient\"")).isEqualTo("0");

      // an older instance's unleased entry that a plain state write converts: its token moves
      // on, so that instance's late write (by the token it read) is refused
      insertVersion5Entry(s, t, "plain", "");
      QueueEntry plain = store.entry(new QueueId("plain")).orElseThrow();
      store.update(plain);
      assertThat(oneString(s, "SELECT lease_token || ' ' || (rcpt_local IS NOT NULL) || ' '"
          + " || (next_due IS NULL) FROM " + t + "entry\" WHERE id = 'plain'"))
          .isEqualTo("1 true true");
      assertThat(s.executeUpdate("UPDATE " + t + "entry\" SET next_due = now()"
          + " WHERE id = 'plain' AND lease_token = 0")).isZero();
      assertThat(store.entry(new QueueId("plain")).orElseThrow().recipients())
          .isEqualTo(plain.recipients());
    }
  }

  private int foreignKeys(Statement s) throws SQLException {
    try (ResultSet rs =
        s.executeQuery(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace ="
                + " (SELECT oid FROM pg_namespace WHERE nspname = '"
                + schemaName
                + "')")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aBadSchemaNameIsRefusedBeforeAnySql() {
    assertThatThrownBy(() -> PostgresQueueStore.builder().schema("x\"; DROP TABLE y; --"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema");
    assertThatThrownBy(() -> PostgresQueueStore.builder().tablePrefix("Bad-Prefix"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
