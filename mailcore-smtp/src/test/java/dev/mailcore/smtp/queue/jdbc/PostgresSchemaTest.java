package dev.mailcore.smtp.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueId;
import dev.mailcore.smtp.queue.QueueLease;
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
        .containsExactly(1, 2, 3, 4, 5);
    assertThat(applied).allSatisfy(a -> assertThat(a).isSorted());
    assertThat(versions("q_")).containsExactly(1, 2, 3, 4, 5);
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
    assertThat(versions("mailcore_queue_")).containsExactly(1, 2, 3, 4, 5);
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
      try (ResultSet rs =
          s.executeQuery(
              "SELECT attcompression FROM pg_attribute WHERE attrelid = '"
                  + chunk
                  + "'::regclass AND attname = 'data'")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo(lz4 ? "l" : "");
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
        try (ResultSet rs =
            s.executeQuery("SELECT pg_column_compression(data) FROM " + chunk)) {
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

      assertThat(schema.migrate(c)).containsExactly(5);
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
      // the build removed the rows the older instance left behind
      try (Connection c = PostgresServer.get().connect();
          Statement s = c.createStatement()) {
        for (String child : List.of("recipient", "chunk")) {
          try (ResultSet rs =
              s.executeQuery("SELECT string_agg(entry_id, ',') FROM " + t + child + "\"")) {
            rs.next();
            assertThat(rs.getString(1)).as(child).isEqualTo("old");
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
