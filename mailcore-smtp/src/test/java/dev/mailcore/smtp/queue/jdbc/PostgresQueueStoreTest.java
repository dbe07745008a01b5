package dev.mailcore.smtp.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.DsnOptions;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.ServerReply;
import dev.mailcore.smtp.queue.QueueClaim;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueId;
import dev.mailcore.smtp.queue.QueueLease;
import dev.mailcore.smtp.queue.QueueStoreException;
import dev.mailcore.smtp.queue.RecipientState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
@Timeout(90)
class PostgresQueueStoreTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  private static final Mailbox BOB = Mailbox.of("bob", "example.net");
  private static final Mailbox CAROL = Mailbox.of("carol", "example.org");

  private final String schema = PostgresServer.newSchema();
  private final List<PostgresQueueStore> stores = new ArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    stores.forEach(PostgresQueueStore::close);
  }

  private PostgresQueueStore store(String owner, Duration lease) {
    PostgresQueueStore s =
        PostgresQueueStore.builder()
            .dataSource(PostgresServer.get().dataSource("store-" + schema))
            .schema(schema)
            .owner(owner)
            .leaseDuration(lease)
            .build();
    stores.add(s);
    return s;
  }

  private static QueueEntry entry(String id, Mailbox... recipients) {
    Envelope env = new Envelope(Optional.of(ANA), List.of(recipients), DsnOptions.none());
    return QueueEntry.ofNew(new QueueId(id), env, T0);
  }

  private static Content text(String s) {
    return Content.ofString(s, StandardCharsets.UTF_8);
  }

  /** The entry with every recipient delivered at {@code at}. */
  private static QueueEntry delivered(QueueEntry e, Instant at) {
    List<RecipientState> states = new ArrayList<>();
    for (RecipientState r : e.recipients()) {
      states.add(
          new RecipientState(
              r.recipient(),
              RecipientState.Status.DELIVERED,
              r.attempts() + 1,
              Optional.empty(),
              Optional.of(at),
              Optional.of(ServerReply.of(250, "2.0.0 ok")),
              Optional.of("delivered"),
              Optional.of("mx.test")));
    }
    return new QueueEntry(e.id(), e.envelope(), e.created(), states, e.delayWarned());
  }

  /** The entry with every recipient deferred until {@code next}. */
  private static QueueEntry deferred(QueueEntry e, Instant at, Instant next) {
    return deferred(e, at, next, Optional.of(ServerReply.of(451, "4.3.0 try later")));
  }

  /** Every recipient deferred at {@code at}; without a reply, as after a refused connection. */
  private static QueueEntry deferred(
      QueueEntry e, Instant at, Instant next, Optional<ServerReply> reply) {
    List<RecipientState> states = new ArrayList<>();
    for (RecipientState r : e.recipients()) {
      states.add(
          new RecipientState(
              r.recipient(),
              RecipientState.Status.DEFERRED,
              r.attempts() + 1,
              Optional.of(next),
              Optional.of(at),
              reply,
              Optional.of("deferred"),
              Optional.of("mx.test")));
    }
    return new QueueEntry(e.id(), e.envelope(), e.created(), states, e.delayWarned());
  }

  /** Claims until something comes back: the other lease's expiry is on the database clock. */
  private static List<QueueLease> claimOnceExpired(PostgresQueueStore s) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<QueueLease> got = s.claim(T0, 10);
    while (got.isEmpty() && System.nanoTime() < deadline) {
      got = s.claim(T0, 10);
    }
    return got;
  }

  private long count(String sql) throws SQLException {
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql.replace("$", "\"" + schema + "\".mailcore_queue_"))) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ---------------------------------------------------------------- claims and leases

  @Test
  void twoInstancesClaimingConcurrentlyNeverGetTheSameEntry() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    PostgresQueueStore b = store("b", Duration.ofMinutes(5));
    List<Future<?>> producers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      producers.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 30; i++) {
                  a.append(entry("m" + thread + "-" + i, BOB), text("x"));
                }
                return null;
              }));
    }
    for (Future<?> f : producers) {
      f.get(60, TimeUnit.SECONDS);
    }
    Set<QueueId> seen = ConcurrentHashMap.newKeySet();
    List<QueueId> all = Collections.synchronizedList(new ArrayList<>());
    CyclicBarrier start = new CyclicBarrier(8);
    List<Future<?>> claimers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      PostgresQueueStore s = t % 2 == 0 ? a : b;
      claimers.add(
          pool.submit(
              () -> {
                start.await();
                List<QueueLease> got;
                while (!(got = s.claim(T0, 3)).isEmpty()) {
                  for (QueueLease l : got) {
                    assertThat(l.owner()).isEqualTo(s.owner());
                    seen.add(l.id());
                    all.add(l.id());
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : claimers) {
      f.get(60, TimeUnit.SECONDS);
    }
    assertThat(all).hasSize(120);
    assertThat(seen).hasSize(120);
  }

  @Test
  void eachClaimIncrementsTheLeaseToken() {
    PostgresQueueStore a = store("a", Duration.ofMillis(1));
    QueueEntry e = entry("m1", BOB);
    a.append(e, text("x"));

    QueueLease first = a.claim(T0, 1).get(0);
    QueueLease second = claimOnceExpired(a).get(0);

    assertThat(first.token()).isEqualTo(1);
    assertThat(second.token()).isEqualTo(2);
    assertThat(second.entry()).isEqualTo(e);
  }

  @Test
  void aLiveLeaseIsNotClaimedByAnotherInstance() {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    PostgresQueueStore b = store("b", Duration.ofMinutes(5));
    a.append(entry("m1", BOB), text("x"));

    assertThat(a.claim(T0, 10)).hasSize(1);
    assertThat(b.claim(T0, 10)).isEmpty();
    assertThat(a.claim(T0, 10)).isEmpty();
  }

  @Test
  void anExpiredLeaseIsRescuedByAnotherInstance() {
    PostgresQueueStore stalled = store("stalled", Duration.ofMillis(1));
    PostgresQueueStore rescuer = store("rescuer", Duration.ofMinutes(5));
    stalled.append(entry("m1", BOB), text("x"));
    QueueLease old = stalled.claim(T0, 1).get(0);

    List<QueueLease> rescued = claimOnceExpired(rescuer);

    assertThat(rescued).hasSize(1);
    assertThat(rescued.get(0).owner()).isEqualTo("rescuer");
    assertThat(rescued.get(0).token()).isGreaterThan(old.token());
    assertThat(rescued.get(0).expires()).isAfter(Instant.now().plusSeconds(60));
  }

  @Test
  void aStaleInstancesLateCompletionIsRefused() {
    PostgresQueueStore stalled = store("stalled", Duration.ofMillis(1));
    PostgresQueueStore rescuer = store("rescuer", Duration.ofMinutes(5));
    QueueEntry e = entry("m1", BOB);
    stalled.append(e, text("x"));
    QueueLease old = stalled.claim(T0, 1).get(0);
    QueueLease current = claimOnceExpired(rescuer).get(0);

    QueueEntry lateOutcome = deferred(e, T0.plusSeconds(5), T0.plusSeconds(600));
    assertThat(stalled.update(old, lateOutcome)).isFalse();
    assertThat(stalled.delete(old)).isFalse();
    assertThat(stalled.renew(List.of(old))).isEmpty();
    assertThat(stalled.entry(e.id())).contains(e);

    QueueEntry outcome = delivered(e, T0.plusSeconds(6));
    assertThat(rescuer.update(current, outcome)).isTrue();
    assertThat(rescuer.entry(e.id())).contains(outcome);
  }

  @Test
  void heartbeatExtendsLiveLeasesOnly() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofSeconds(30));
    a.append(entry("m1", BOB), text("x"));
    a.append(entry("m2", BOB), text("x"));
    List<QueueLease> leases = a.claim(T0, 10);
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement()) {
      s.executeUpdate(
          "UPDATE \""
              + schema
              + "\".mailcore_queue_entry SET lease_token = lease_token + 1 WHERE id = 'm2'");
    }

    List<QueueLease> renewed = a.renew(leases);

    assertThat(renewed).extracting(QueueLease::id).containsExactly(new QueueId("m1"));
    assertThat(renewed.get(0).expires()).isAfterOrEqualTo(leases.get(0).expires());
    assertThat(renewed.get(0).token()).isEqualTo(leases.get(0).token());
  }

  @Test
  void aRescueRacingACompletionLeavesOneConsistentOutcome() throws Exception {
    PostgresQueueStore stalled = store("stalled", Duration.ofMillis(1));
    PostgresQueueStore rescuer = store("rescuer", Duration.ofMinutes(5));
    int completions = 0;
    int rescues = 0;
    for (int i = 0; i < 30; i++) {
      QueueEntry e = entry("race" + i, BOB);
      stalled.append(e, text("x"));
      QueueLease old = stalled.claim(T0, 1).get(0);
      boolean byDelete = i % 2 == 0;
      CyclicBarrier go = new CyclicBarrier(2);
      Future<Boolean> completion =
          pool.submit(
              () -> {
                go.await();
                return byDelete
                    ? stalled.delete(old)
                    : stalled.update(old, deferred(e, T0, T0.plusSeconds(3600)));
              });
      Future<List<QueueLease>> rescue =
          pool.submit(
              () -> {
                go.await();
                return rescuer.claim(T0, 1);
              });
      boolean completed = completion.get(30, TimeUnit.SECONDS);
      List<QueueLease> claimed = rescue.get(30, TimeUnit.SECONDS);

      // exactly one side wins; the loser changed nothing
      assertThat(completed).as("round %d", i).isNotEqualTo(!claimed.isEmpty());
      Optional<QueueEntry> now = rescuer.entry(e.id());
      if (completed) {
        completions++;
        if (byDelete) {
          assertThat(now).isEmpty();
        } else {
          assertThat(now.orElseThrow().recipients().get(0).status())
              .isEqualTo(RecipientState.Status.DEFERRED);
        }
      } else {
        rescues++;
        assertThat(claimed.get(0).token()).isEqualTo(old.token() + 1);
        assertThat(now).contains(e);
        assertThat(rescuer.delete(claimed.get(0))).isTrue();
      }
    }
    assertThat(completions + rescues).isEqualTo(30);
  }

  @Test
  void topUpClaimsOnlyEntriesDueForTheDestination() {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    a.append(entry("net1", BOB), text("x"));
    a.append(entry("org1", CAROL), text("x"));
    a.append(entry("both", BOB, CAROL), text("x"));
    QueueEntry later = entry("org-later", CAROL);
    a.append(later, text("x"));
    a.update(deferred(later, T0, T0.plusSeconds(600)));

    List<QueueLease> got = a.claim("Example.ORG", T0, 10);

    assertThat(got)
        .extracting(QueueLease::id)
        .containsExactly(new QueueId("both"), new QueueId("org1"));
    assertThat(a.claim(T0, 10)).extracting(QueueLease::id).containsExactly(new QueueId("net1"));
  }

  @Test
  void claimDueLeasesWhatIsDueAndTellsWhenTheNextEntryFallsDue() {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    PostgresQueueStore b = store("b", Duration.ofMinutes(5));
    a.append(entry("now1", BOB), text("x"));
    a.append(entry("later", BOB), text("y"));
    Instant next = T0.plusSeconds(30);
    for (QueueLease l : a.claim(T0, 10)) {
      if (l.id().value().equals("later")) {
        assertThat(a.update(l, deferred(l.entry(), T0, next))).isTrue();
      } else {
        a.release(l);
      }
    }

    QueueClaim claim = b.claimDue(T0, 10);

    assertThat(claim.leases()).extracting(QueueLease::id).containsExactly(new QueueId("now1"));
    assertThat(claim.leases()).extracting(QueueLease::owner).containsExactly("b");
    assertThat(claim.nextDue()).contains(next);
    // nothing left to claim: the answer still says when work falls due
    QueueClaim empty = a.claimDue(T0, 10);
    assertThat(empty.leases()).isEmpty();
    assertThat(empty.nextDue()).contains(next);
    assertThat(a.claimDue(next, 10).leases())
        .extracting(QueueLease::id)
        .containsExactly(new QueueId("later"));
    assertThat(b.claimDue(next, 10).nextDue()).isEmpty();
  }

  @Test
  void aClaimLeasesEarliestDueFirstWithEveryRecipientAsStored() {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    // ids in the opposite order of their due times, so the order cannot come from the ids
    for (int i = 0; i < 3; i++) {
      a.append(entry("z" + i, BOB, CAROL), text("m" + i));
    }
    List<QueueEntry> stored = new ArrayList<>();
    for (QueueLease l : a.claim(T0, 10)) {
      int n = Integer.parseInt(l.id().value().substring(1));
      QueueEntry e = deferred(l.entry(), T0, T0.plusSeconds(30 - 10 * n));
      assertThat(a.update(l, e)).isTrue();
      stored.add(e);
    }

    List<QueueLease> claimed = a.claim(T0.plusSeconds(60), 10);

    assertThat(claimed)
        .extracting(l -> l.id().value())
        .containsExactly("z2", "z1", "z0");
    // every recipient's state, replies and times included, comes back as the update wrote it
    assertThat(claimed)
        .extracting(QueueLease::entry)
        .containsExactlyInAnyOrderElementsOf(stored);
    assertThat(claimed).allSatisfy(l -> assertThat(l.entry().recipients()).hasSize(2));
  }

  @Test
  void aGroupHoldingAnIdAlreadyStoredStoresTheRestAndFailsThatAppendAlone() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    a.append(entry("taken", BOB), text("first"));
    List<CompletableFuture<Void>> fresh = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      fresh.add(a.appendAsync(entry("g" + i, BOB), text("body " + i)));
    }
    CompletableFuture<Void> again = a.appendAsync(entry("taken", CAROL), text("second"));
    for (int i = 20; i < 40; i++) {
      fresh.add(a.appendAsync(entry("g" + i, BOB), text("body " + i)));
    }

    CompletableFuture.allOf(fresh.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    assertThatThrownBy(() -> again.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("entry exists: taken");
    assertThat(a.size()).isEqualTo(41);
    assertThat(new String(a.message(new QueueId("taken")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("first");
    assertThat(a.entry(new QueueId("taken")).orElseThrow().envelope().recipients())
        .containsExactly(BOB);
    assertThat(new String(a.message(new QueueId("g27")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("body 27");
  }

  @Test
  void releasingSeveralLeasesFreesThoseStillHeldAndSkipsSupersededOnes() {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    PostgresQueueStore b = store("b", Duration.ofMinutes(5));
    a.append(entry("m1", BOB), text("x"));
    a.append(entry("m2", BOB), text("y"));
    List<QueueLease> held = a.claim(T0, 10);
    QueueLease stale = held.get(1);
    a.release(List.of(stale));
    QueueLease rescued = b.claim(T0, 10).get(0); // m2, now b's

    a.release(held); // m1 is a's to give back; m2's lease was superseded by b's claim

    assertThat(rescued.id()).isEqualTo(stale.id());
    List<QueueLease> next = store("c", Duration.ofMinutes(5)).claim(T0, 10);
    assertThat(next).extracting(QueueLease::id).containsExactly(held.get(0).id());
    assertThat(b.renew(List.of(rescued))).extracting(QueueLease::id).containsExactly(stale.id());
  }

  @Test
  void releasedLeaseIsClaimableAtOnce() {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    PostgresQueueStore b = store("b", Duration.ofMinutes(5));
    a.append(entry("m1", BOB), text("x"));
    QueueLease lease = a.claim(T0, 1).get(0);

    a.release(lease);

    assertThat(b.claim(T0, 1)).extracting(QueueLease::owner).containsExactly("b");
  }

  @Test
  void rescueExpiredFreesEveryExpiredLeaseInOneUpdate() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMillis(1));
    for (int i = 0; i < 5; i++) {
      a.append(entry("m" + i, BOB), text("x"));
    }
    assertThat(a.claim(T0, 10)).hasSize(5);
    try (Connection c = PostgresServer.get().connect();
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_sleep(0.01)"); // the database clock must pass the 1 ms leases
    }

    assertThat(a.rescueExpired()).isEqualTo(5);
    assertThat(count("SELECT count(*) FROM $entry WHERE lease_owner IS NOT NULL")).isZero();
  }

  @Test
  void finishedEntriesLeaveNoRows() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    a.append(entry("m1", BOB, CAROL), text("y".repeat(3000)));
    QueueLease lease = a.claim(T0, 1).get(0);

    assertThat(a.delete(lease)).isTrue();

    assertThat(count("SELECT count(*) FROM $entry")).isZero();
    assertThat(count("SELECT count(*) FROM $recipient")).isZero();
    assertThat(count("SELECT count(*) FROM $chunk")).isZero();
  }

  @Test
  void fieldsNoRecipientHasAreStoredAsNullArraysAndReadBackAsTheyWere() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    QueueEntry fresh = entry("n1", BOB, CAROL);
    a.append(fresh, text("hello"));
    // no recipient of a new entry has a reply, a diagnostic or a host yet: no array holds them
    assertThat(
            count(
                "SELECT count(*) FROM $entry WHERE id = 'n1' AND cardinality(rcpt_local) = 2"
                    + " AND rcpt_last_attempt IS NULL AND rcpt_reply_code IS NULL"
                    + " AND rcpt_reply_status IS NULL AND rcpt_reply_text IS NULL"
                    + " AND rcpt_diagnostic IS NULL AND rcpt_remote_host IS NULL"))
        .isEqualTo(1);
    // an instance of the previous release unnests the twelve arrays together: a null array pads
    // with nulls, so it reads both recipients as it would from arrays of nulls
    assertThat(
            count(
                "SELECT count(*) FROM $entry e, unnest(e.rcpt_local, e.rcpt_domain,"
                    + " e.rcpt_ascii_domain, e.rcpt_status, e.rcpt_attempts, e.rcpt_next_attempt,"
                    + " e.rcpt_last_attempt, e.rcpt_reply_code, e.rcpt_reply_status,"
                    + " e.rcpt_reply_text, e.rcpt_diagnostic, e.rcpt_remote_host)"
                    + " AS r(l, d, ad, status, n, na, la, code, rs, rt, diag, host)"
                    + " WHERE e.id = 'n1' AND r.status = 'PENDING' AND r.code IS NULL"))
        .isEqualTo(2);
    assertThat(a.entry(fresh.id())).contains(fresh);
    QueueLease lease = a.claim(T0, 1).get(0);
    assertThat(lease.entry()).isEqualTo(fresh);

    // one recipient deferred with a reply, the other untried: arrays with a null element again
    QueueEntry half =
        new QueueEntry(
            fresh.id(),
            fresh.envelope(),
            fresh.created(),
            List.of(
                deferred(fresh, T0, T0.plusSeconds(60)).recipients().get(0),
                fresh.recipients().get(1)),
            false);
    assertThat(a.update(lease, half)).isTrue();
    assertThat(
            count(
                "SELECT count(*) FROM $entry WHERE id = 'n1'"
                    + " AND rcpt_reply_code = ARRAY[451, NULL]::int[]"))
        .isEqualTo(1);
    assertThat(a.entry(fresh.id())).contains(half);
    assertThat(a.claim(T0.plusSeconds(60), 1)).extracting(QueueLease::entry).containsExactly(half);
  }

  @Test
  void outcomesWithAndWithoutRepliesShareOnePreparedStatement() throws Exception {
    // a group whose recipients have no reply binds the reply columns as null arrays: typed like
    // the arrays of the groups that have one, or the driver prepares the statement again on every
    // change between the two, and the server plans it afresh each time
    try (com.zaxxer.hikari.HikariDataSource pool =
        PostgresServer.get().pooledDataSource("prepared-" + schema, 1)) {
      PostgresQueueStore a =
          PostgresQueueStore.builder().dataSource(pool).schema(schema).owner("a").build();
      stores.add(a);
      QueueEntry e = entry("p1", BOB);
      a.append(e, text("hello"));
      Instant at = T0;
      for (int i = 0; i < 20; i++) {
        QueueLease lease = a.claim(at, 1).get(0);
        Optional<ServerReply> reply =
            i % 2 == 0 ? Optional.of(ServerReply.of(451, "4.3.0 try later")) : Optional.empty();
        e = deferred(lease.entry(), at, at.plusSeconds(60), reply);
        assertThat(a.update(lease, e)).isTrue();
        at = at.plusSeconds(60);
      }
      assertThat(a.entry(e.id())).contains(e);
      try (Connection c = pool.getConnection();
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT coalesce(max(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
                      + " WHERE statement LIKE '%WITH uv AS%' AND statement LIKE '%rcpt_reply_code%'")) {
        rs.next();
        // the driver prepares a statement on the server at its fifth use: every outcome from
        // then on (16 of the 20) ran the same one. With untyped null arrays the driver prepared
        // it again when the kinds changed, and the one left had run fewer
        assertThat(rs.getInt(1)).isEqualTo(16);
      }
    }
  }

  @Test
  void planCachedOnANearlyEmptyQueueNeverScansTheRecipientAndChunkTables() throws Exception {
    String app = "plans-" + schema;
    store("setup", Duration.ofMinutes(5)); // creates the tables (building indexes reads them)
    try (Connection c = PostgresServer.get().connect();
        Statement st = c.createStatement()) {
      for (String t : List.of("entry", "recipient", "chunk")) {
        st.execute(
            "ALTER TABLE \""
                + schema
                + "\".mailcore_queue_"
                + t
                + " SET (autovacuum_enabled = off)");
      }
    }
    waitFor(() -> sessions("store-" + schema) == 0); // their table statistics are in
    long recipientScans = seqScans("recipient");
    long chunkScans = seqScans("chunk");
    // one pooled connection: the server caches its plans for the store's statements after a few
    // executions, here while the queue holds one entry, and keeps them (no autovacuum to analyse)
    try (com.zaxxer.hikari.HikariDataSource pool = PostgresServer.get().pooledDataSource(app, 1)) {
      PostgresQueueStore a =
          PostgresQueueStore.builder().dataSource(pool).schema(schema).owner("a").build();
      stores.add(a);
      for (int i = 0; i < 8; i++) {
        a.append(entry("w" + i, BOB, CAROL), text("warm"));
        List<QueueLease> got = a.claim(T0, 1);
        a.renew(got);
        a.release(got);
        QueueLease lease = a.claim(T0, 1).get(0);
        assertThat(a.delete(lease)).isTrue();
      }
      List<CompletableFuture<Void>> appended = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        appended.add(a.appendAsync(entry("g" + i, BOB, CAROL), text("grown " + i)));
      }
      CompletableFuture.allOf(appended.toArray(new CompletableFuture<?>[0]))
          .get(60, TimeUnit.SECONDS);
      for (int round = 0; round < 5; round++) {
        List<QueueLease> leases = a.claim(T0, 10);
        a.renew(leases);
        List<CompletableFuture<Boolean>> done = new ArrayList<>();
        for (QueueLease l : leases.subList(1, leases.size())) {
          done.add(a.deleteAsync(l));
        }
        done.add(a.updateAsync(leases.get(0), deferred(leases.get(0).entry(), T0, T0)));
        for (CompletableFuture<Boolean> d : done) {
          assertThat(d.get(10, TimeUnit.SECONDS)).isTrue();
        }
      }
    }
    waitFor(() -> sessions(app) == 0);
    // one whole-table read each: the search for orphaned rows when the store was built
    assertThat(seqScans("recipient") - recipientScans).as("recipient").isLessThanOrEqualTo(1);
    assertThat(seqScans("chunk") - chunkScans).as("chunk").isLessThanOrEqualTo(1);
  }

  private long sessions(String applicationName) throws SQLException {
    return count(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName + "'");
  }

  private long seqScans(String table) throws SQLException {
    return count(
        "SELECT seq_scan FROM pg_stat_user_tables WHERE schemaname = '"
            + schema
            + "' AND relname = 'mailcore_queue_"
            + table
            + "'");
  }

  /** A store whose messages of more than 1 KiB take several chunk rows. */
  private PostgresQueueStore storeWithKibibyteChunks() {
    PostgresQueueStore s =
        PostgresQueueStore.builder()
            .dataSource(PostgresServer.get().dataSource("store-" + schema))
            .schema(schema)
            .owner("a")
            .chunkSize(1024)
            .build();
    stores.add(s);
    return s;
  }

  @Test
  void everyWayOfRemovingAnEntryTakesItsRecipientsAndChunksAlong() throws Exception {
    PostgresQueueStore a = storeWithKibibyteChunks();
    for (int i = 0; i < 6; i++) {
      // three chunks each, so every removal has several chunk rows to take along
      a.append(entry("m" + i, BOB, CAROL), text(("body " + i + " ").repeat(300)));
    }
    a.append(entry("zkept", BOB), text("k".repeat(2500)));
    assertThat(count("SELECT count(*) FROM $chunk")).isEqualTo(6 * 3 + 3);
    List<QueueLease> leases = new ArrayList<>(a.claim(T0, 6));
    assertThat(leases).extracting(l -> l.id().value()).doesNotContain("zkept");

    assertThat(a.delete(leases.get(0))).isTrue(); // one lease-checked removal
    List<CompletableFuture<Boolean>> group = new ArrayList<>();
    for (QueueLease l : leases.subList(1, 4)) {
      group.add(a.deleteAsync(l)); // removals sharing one statement
    }
    group.add(a.updateAsync(leases.get(4), deferred(leases.get(4).entry(), T0, T0)));
    for (CompletableFuture<Boolean> f : group) {
      assertThat(f.get(10, TimeUnit.SECONDS)).isTrue();
    }
    a.delete(leases.get(5).id()); // the plain removal, ignoring the lease
    a.delete(leases.get(4).id());

    assertThat(count("SELECT count(*) FROM $entry")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM $recipient WHERE entry_id <> 'zkept'")).isZero();
    assertThat(count("SELECT count(*) FROM $chunk WHERE entry_id <> 'zkept'")).isZero();
    assertThat(count("SELECT count(*) FROM $recipient")).isZero(); // in the entry row
    assertThat(count("SELECT cardinality(rcpt_local) FROM $entry WHERE id = 'zkept'")).isEqualTo(1);
    try (InputStream in = a.message(new QueueId("zkept")).open()) {
      assertThat(in.readAllBytes()).hasSize(2500);
    }
  }

  @Test
  void aMultiChunkMessageFailingMidwayLeavesNoChunkRows() throws Exception {
    PostgresQueueStore a = storeWithKibibyteChunks();
    Content failsAfterThreeChunks =
        Content.ofSource(
            () ->
                new InputStream() {
                  private int left = 3 * 1024 + 10;

                  @Override
                  public int read() throws IOException {
                    if (left-- <= 0) {
                      throw new IOException("disk gone");
                    }
                    return 'x';
                  }
                },
            -1);

    assertThatThrownBy(() -> a.append(entry("m1", BOB), failsAfterThreeChunks))
        .isInstanceOf(QueueStoreException.class);

    assertThat(a.size()).isZero();
    assertThat(count("SELECT count(*) FROM $chunk")).isZero();
    assertThat(count("SELECT count(*) FROM $recipient")).isZero();
  }

  // ---------------------------------------------------------------- daily limits

  @Test
  void dailyCountsOfTwoInstancesTakenConcurrentlyNeverExceedTheLimit() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    PostgresQueueStore b = store("b", Duration.ofMinutes(5));
    java.time.LocalDate day = java.time.LocalDate.of(2026, 1, 1);
    CyclicBarrier start = new CyclicBarrier(8);
    List<Future<Integer>> takers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      PostgresQueueStore s = t % 2 == 0 ? a : b;
      takers.add(
          pool.submit(
              () -> {
                start.await();
                int granted = 0;
                for (int i = 0; i < 10; i++) {
                  granted += s.takeDaily("domain:example.net", day, 25) ? 1 : 0;
                }
                return granted;
              }));
    }
    int granted = 0;
    for (Future<Integer> f : takers) {
      granted += f.get(30, TimeUnit.SECONDS);
    }

    assertThat(a.countsDailyLimits()).isTrue();
    assertThat(granted).isEqualTo(25);
    assertThat(a.takeDaily("domain:example.net", day.plusDays(1), 25)).isTrue();
    assertThat(b.takeDaily("domain:example.org", day, 25)).isTrue();
  }

  @Test
  void countersOfDaysBeforeYesterdayAreSwept() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    java.time.LocalDate day = java.time.LocalDate.of(2026, 1, 1);
    a.takeDaily("overall", day, 5);
    PostgresQueueStore later = store("later", Duration.ofMinutes(5));
    later.takeDaily("overall", day.plusDays(3), 5);

    assertThat(count("SELECT count(*) FROM $daily_count")).isEqualTo(1);
  }

  // ---------------------------------------------------------------- enqueue

  @Test
  void retriedAppendWithTheSameIdempotencyKeyIsANoOp() {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    QueueId first = a.append(entry("m1", BOB), text("x"), "order-4711");
    QueueId second = a.append(entry("m2", BOB), text("x"), "order-4711");

    assertThat(first).isEqualTo(new QueueId("m1"));
    assertThat(second).isEqualTo(first);
    assertThat(a.size()).isEqualTo(1);
  }

  @Test
  void appendsArrivingDuringACommitAreCommittedTogether() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    try (Connection blocker = blockInsertOf("first")) {
      Future<?> first = pool.submit(() -> a.append(entry("first", BOB), text("x")));
      waitFor(() -> lockWaiters() == 1);
      List<Future<?>> rest = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        String id = "next" + i;
        rest.add(pool.submit(() -> a.append(entry(id, BOB), text("x"))));
      }
      waitFor(() -> a.pendingAppends() == 7);
      blocker.rollback();
      first.get(30, TimeUnit.SECONDS);
      for (Future<?> f : rest) {
        f.get(30, TimeUnit.SECONDS);
      }
    }
    assertThat(a.size()).isEqualTo(8);
    // one transaction for the first, one for the seven that waited
    assertThat(count("SELECT count(DISTINCT xmin::text) FROM $entry")).isEqualTo(2);
  }

  @Test
  void concurrentProducersAllGetTheirMessagesStored() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    List<Future<?>> producers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      producers.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 25; i++) {
                  a.append(entry("p" + thread + "-" + i, BOB), text("message " + thread + "/" + i));
                }
                return null;
              }));
    }
    for (Future<?> f : producers) {
      f.get(60, TimeUnit.SECONDS);
    }
    assertThat(a.size()).isEqualTo(200);
    assertThat(new String(a.message(new QueueId("p3-17")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("message 3/17");
  }

  @Test
  void asyncAppendsCompleteOnceDurableAndADuplicateFailsItsOwnFuture() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(a.appendAsync(entry("async" + i, BOB), text("body " + i)));
    }
    CompletableFuture<Void> duplicate = a.appendAsync(entry("async7", BOB), text("again"));
    CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);

    assertThatThrownBy(() -> duplicate.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(a.size()).isEqualTo(50);
    assertThat(new String(a.message(new QueueId("async7")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("body 7");
  }

  @Test
  void aMessageWhoseContentFailsIsNotStored() {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    Content broken =
        Content.ofSource(
            () ->
                new InputStream() {
                  @Override
                  public int read() throws IOException {
                    throw new IOException("disk gone");
                  }
                },
            -1);

    assertThatThrownBy(() -> a.append(entry("m1", BOB), broken))
        .isInstanceOf(QueueStoreException.class);
    assertThat(a.size()).isZero();
  }

  // ---------------------------------------------------------------- chunked bytes

  @Test
  void aMultiMebibyteMessageIsStoredInChunksAndStreamedBack() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    long size = 5L * 1024 * 1024 + 12345;
    a.append(entry("big", BOB), Content.ofSource(() -> new GeneratedBytes(42, size), size));

    assertThat(count("SELECT count(*) FROM $chunk WHERE entry_id = 'big'")).isEqualTo(6);
    assertThat(count("SELECT max(length(data)) FROM $chunk")).isEqualTo(1 << 20);
    Content back = a.message(new QueueId("big"));
    assertThat(back.size()).hasValue(size);
    try (InputStream in = back.open()) {
      assertThat(digest(in)).isEqualTo(digest(new GeneratedBytes(42, size)));
    }
  }

  @Test
  void messagesOfExactlyOneAndTwoChunksOfUnknownSizeComeBackWhole() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    for (long size : new long[] {0, 1 << 20, 2 << 20, (2 << 20) + 1}) {
      String id = "s" + size;
      a.append(entry(id, BOB), Content.ofSource(() -> new GeneratedBytes(size, size), -1));
      Content back = a.message(new QueueId(id));
      assertThat(back.size()).as("size %d", size).hasValue(size);
      try (InputStream in = back.open()) {
        assertThat(digest(in))
            .as("size %d", size)
            .isEqualTo(digest(new GeneratedBytes(size, size)));
      }
    }
    assertThat(count("SELECT count(*) FROM $chunk WHERE entry_id = 's2097153'")).isEqualTo(3);
    assertThat(count("SELECT count(*) FROM $chunk WHERE entry_id = 's0'")).isZero();
  }

  @Test
  void aFiftyMebibyteMessageGoesBothWaysInASixtyFourMebibyteHeap() throws Exception {
    store("a", Duration.ofMinutes(5)); // creates the schema
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                LargeMessageRoundTrip.class.getName(),
                String.valueOf(PostgresServer.get().port()),
                schema,
                "50")
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("round trip of 52428800 bytes: same");
  }

  @Test
  void aMessageRemovedWhileBeingReadFailsTheReadClearly() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    long size = 3L * 1024 * 1024;
    a.append(entry("big", BOB), Content.ofSource(() -> new GeneratedBytes(7, size), size));
    try (InputStream in = a.message(new QueueId("big")).open()) {
      in.readNBytes(1000);
      a.delete(new QueueId("big"));
      assertThatThrownBy(() -> in.readNBytes((int) size))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("removed");
    }
  }

  private static byte[] digest(InputStream in) throws IOException, NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) > 0) {
      md.update(buf, 0, n);
    }
    return md.digest();
  }

  // ---------------------------------------------------------------- connection loss

  @Test
  void anUpdateWhoseConnectionIsTerminatedIsRepeatedOnANewConnection() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    QueueEntry e = entry("m1", BOB);
    a.append(e, text("x"));
    QueueEntry later = deferred(e, T0, T0.plusSeconds(300));
    try (Connection locker = PostgresServer.get().connect()) {
      locker.setAutoCommit(false);
      try (Statement s = locker.createStatement()) {
        s.executeQuery(
                "SELECT * FROM \"" + schema + "\".mailcore_queue_entry WHERE id = 'm1' FOR UPDATE")
            .close();
      }
      Future<?> update = pool.submit(() -> a.update(later));
      waitFor(() -> lockWaiters() == 1);
      assertThat(terminateStoreBackends()).isEqualTo(1);
      locker.rollback();
      update.get(30, TimeUnit.SECONDS);
    }
    assertThat(a.entry(e.id())).contains(later);
  }

  @Test
  void anAppendWhoseConnectionIsTerminatedIsStoredOnce() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    try (Connection blocker = blockInsertOf("m1")) {
      Future<?> append = pool.submit(() -> a.append(entry("m1", BOB), text("the body")));
      waitFor(() -> lockWaiters() == 1);
      assertThat(terminateStoreBackends()).isEqualTo(1);
      blocker.rollback();
      append.get(30, TimeUnit.SECONDS);
    }
    assertThat(a.size()).isEqualTo(1);
    assertThat(new String(a.message(new QueueId("m1")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("the body");
  }

  @Test
  void nothingAcknowledgedIsLostWhileConnectionsAreTerminatedRepeatedly() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    Set<QueueId> acknowledged = ConcurrentHashMap.newKeySet();
    Set<QueueId> finished = ConcurrentHashMap.newKeySet();
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      workers.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 25; i++) {
                  QueueId id = new QueueId("k" + thread + "-" + i);
                  try {
                    a.append(entry(id.value(), BOB), text("body of " + id));
                    acknowledged.add(id);
                  } catch (QueueStoreException e) {
                    // not acknowledged: the producer would retry; it must not be half-stored
                  }
                  try {
                    for (QueueLease l : a.claim(T0, 3)) {
                      if (l.id().value().endsWith("0") && a.delete(l)) {
                        finished.add(l.id());
                      } else {
                        a.release(l);
                      }
                    }
                  } catch (QueueStoreException e) {
                    // a claim lost with its connection expires and is claimed again
                  }
                }
                return null;
              }));
    }
    int killed = 0;
    while (workers.stream().anyMatch(f -> !f.isDone())) {
      killed += terminateStoreBackends();
    }
    for (Future<?> f : workers) {
      f.get(60, TimeUnit.SECONDS);
    }

    assertThat(killed).isPositive();
    assertThat(acknowledged).isNotEmpty();
    Set<QueueId> stored = new HashSet<>();
    a.entries().forEach(e -> stored.add(e.id()));
    for (QueueId id : acknowledged) {
      if (!finished.contains(id)) {
        assertThat(stored).contains(id);
        assertThat(new String(a.message(id).readAllBytes(), StandardCharsets.UTF_8))
            .isEqualTo("body of " + id);
      }
    }
    // nothing half-stored: every stored entry has its recipients and bytes
    assertThat(
            count(
                "SELECT count(*) FROM $entry e WHERE cardinality(e.rcpt_local) IS NULL"
                    + " OR (e.body IS NULL AND NOT EXISTS (SELECT 1 FROM $chunk k"
                    + " WHERE k.entry_id = e.id))"))
        .isZero();
    assertThat(count("SELECT count(*) FROM $entry e WHERE chunks = 0")).isZero();
  }

  @Test
  void acknowledgedEntriesSurviveAnImmediateDatabaseRestartAndWorkResumes() throws Exception {
    PostgresQueueStore a = store("a", Duration.ofMinutes(5));
    for (int i = 0; i < 20; i++) {
      a.append(entry("r" + i, BOB), text("body " + i));
    }
    QueueLease held = a.claim(T0, 1).get(0);

    PostgresServer.get().restartImmediately();

    assertThat(a.size()).isEqualTo(20);
    assertThat(new String(a.message(new QueueId("r7")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("body 7");
    assertThat(a.delete(held)).isTrue();
    a.append(entry("after", BOB), text("x"));
    assertThat(a.claim(T0, 100)).hasSize(20);
  }

  /**
   * Opens a transaction holding an uncommitted entry row with {@code id}, so the store's INSERT of
   * that id waits on it (a slow commit) until the returned connection rolls back or closes.
   */
  private Connection blockInsertOf(String id) throws SQLException {
    Connection blocker = PostgresServer.get().connect();
    blocker.setAutoCommit(false);
    try (PreparedStatement s =
        blocker.prepareStatement(
            "INSERT INTO \""
                + schema
                + "\".mailcore_queue_entry (id, dsn_notify, created, delay_warned)"
                + " VALUES (?, '', now(), false)")) {
      s.setString(1, id);
      s.executeUpdate();
    }
    return blocker;
  }

  /** Terminates every backend of the stores under test; returns how many. */
  private int terminateStoreBackends() throws SQLException {
    return (int) storeBackends("count(*) FILTER (WHERE pg_terminate_backend(pid))", "true");
  }

  /** Returns how many backends of the stores under test wait for a lock. */
  private long lockWaiters() throws SQLException {
    return storeBackends("count(*)", "wait_event_type = 'Lock'");
  }

  private long storeBackends(String select, String where) throws SQLException {
    try (Connection c = PostgresServer.get().connect();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT "
                    + select
                    + " FROM pg_stat_activity WHERE application_name = ? AND "
                    + where)) {
      s.setString(1, "store-" + schema);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @FunctionalInterface
  private interface Condition {
    boolean holds() throws Exception;
  }

  /** Polls the database for a state another thread brings about; gives up after 20 s. */
  private static void waitFor(Condition condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached in 20 s");
      }
      Thread.onSpinWait();
    }
  }
}
