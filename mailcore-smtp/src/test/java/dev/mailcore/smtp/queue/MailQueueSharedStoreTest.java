package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.smtp.queue.jdbc.PostgresQueueStore;
import dev.mailcore.smtp.queue.jdbc.PostgresServer;
import dev.mailcore.testing.ManualClock;
import dev.mailcore.testing.ManualScheduler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several {@link MailQueue} instances on one {@link PostgresQueueStore} schema, as several
 * application instances share one queue: a real PostgreSQL server, a real SMTP server on loopback.
 */
@ExtendWith(PostgresServer.class)
@Timeout(90)
class MailQueueSharedStoreTest {

  static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  static final Mailbox BOB = Mailbox.of("bob", "example.net");
  static final Pattern MESSAGE_ID = Pattern.compile("Message-ID: <([^>]+)>");

  final String schema = PostgresServer.newSchema();
  final List<AutoCloseable> open = new ArrayList<>();
  TestSmtpServer server;

  @BeforeEach
  void startServer() throws Exception {
    server = new TestSmtpServer();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    server.close();
  }

  PostgresQueueStore store(String owner, Duration lease) {
    return PostgresQueueStore.builder()
        .dataSource(PostgresServer.get().dataSource("queue-" + owner))
        .schema(schema)
        .owner(owner)
        .leaseDuration(lease)
        .build();
  }

  <T extends AutoCloseable> T keep(T resource) {
    open.add(resource);
    return resource;
  }

  static Content message(String id) {
    String text =
        "From: ana@shop.example\r\nTo: bob@example.net\r\nSubject: "
            + id
            + "\r\nMessage-ID: <"
            + id
            + "@shop.example>\r\n\r\nHello.\r\n";
    return Content.ofString(text, StandardCharsets.UTF_8);
  }

  Map<String, Integer> countsByMessageId() {
    return countsByMessageId(server);
  }

  /** Counts the messages {@code server} received by their Message-ID. */
  static Map<String, Integer> countsByMessageId(TestSmtpServer server) {
    Map<String, Integer> counts = new HashMap<>();
    for (TestSmtpServer.Received r : server.received()) {
      Matcher m = MESSAGE_ID.matcher(r.text());
      assertThat(m.find()).as("a Message-ID in %s", r.text()).isTrue();
      counts.merge(m.group(1), 1, Integer::sum);
    }
    return counts;
  }

  static void awaitEmpty(QueueStore store) throws InterruptedException {
    awaitEmpty(store, Duration.ofSeconds(60));
  }

  static void awaitEmpty(QueueStore store, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (store.size() > 0) {
      if (System.nanoTime() > end) {
        throw new AssertionError("still queued: " + store.size());
      }
      Thread.sleep(20);
    }
  }

  /** Delivers through the real SMTP transport once the gate opens: an instance stalled mid-send. */
  static final class GatedTransport implements QueueTransport {
    final QueueTransport real;
    final CountDownLatch gate = new CountDownLatch(1);

    GatedTransport(QueueTransport real) {
      this.real = real;
    }

    @Override
    public List<RecipientResult> deliver(Envelope envelope, Content message) {
      try {
        if (!gate.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted at the gate", e);
      }
      return real.deliver(envelope, message);
    }
  }

  /** An instance of the shared queue, polling often, with four workers. */
  MailQueue instance(String owner, RecordingListener listener) {
    return keep(
        MailQueue.builder()
            .store(store(owner, Duration.ofSeconds(30)))
            .transport(new JakartaTransport(server.port()))
            .workers(4)
            .domainConcurrency(4)
            .pollInterval(Duration.ofMillis(50))
            .listener(listener)
            .build());
  }

  /**
   * An instance on a pooled data source with short leases, pausing only briefly after the store
   * failed: for outages.
   */
  MailQueue pooledInstance(String owner, RecordingListener listener) {
    HikariDataSource pool = PostgresServer.get().pooledDataSource("queue-" + owner, 8);
    keep(pool::close);
    return keep(
        MailQueue.builder()
            .store(
                PostgresQueueStore.builder()
                    .dataSource(pool)
                    .schema(schema)
                    .owner(owner)
                    .leaseDuration(Duration.ofSeconds(2))
                    .build())
            .transport(new JakartaTransport(server.port()))
            .workers(4)
            .domainConcurrency(4)
            .pollInterval(Duration.ofMillis(50))
            .storeFailurePause(Duration.ofMillis(200))
            .listener(listener)
            .build());
  }

  /** Enqueues {@code n} messages one by one; returns the ids of those acknowledged. */
  private static CompletableFuture<Set<String>> produce(MailQueue queue, String prefix, int n) {
    return CompletableFuture.supplyAsync(
        () -> {
          Set<String> acknowledged = new HashSet<>();
          for (int i = 0; i < n; i++) {
            String id = prefix + i;
            try {
              queue.enqueue(Envelope.of(ANA, List.of(BOB)), message(id));
              acknowledged.add(id + "@shop.example"); // as the Message-ID counts it
            } catch (QueueStoreException e) {
              // not acknowledged: the producer would retry; the test only counts acknowledged ones
            }
          }
          return acknowledged;
        });
  }

  /** Waits until every acknowledged message arrived and the queue is empty. */
  private void awaitAllDelivered(Set<String> acknowledged) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (!countsByMessageId().keySet().containsAll(acknowledged)) {
      if (System.nanoTime() > end) {
        Set<String> missing = new HashSet<>(acknowledged);
        missing.removeAll(countsByMessageId().keySet());
        PostgresQueueStore inspector = keep(store("inspector", Duration.ofSeconds(30)));
        throw new AssertionError(
            missing.size()
                + " of "
                + acknowledged.size()
                + " acknowledged not delivered; queued: "
                + inspector.entries().stream()
                    .map(e -> e.id() + " " + e.recipients().get(0).status() + " next "
                        + e.nextAttempt())
                    .limit(5)
                    .toList());
      }
      Thread.sleep(20);
    }
    awaitEmpty(keep(store("inspector", Duration.ofSeconds(30))), Duration.ofSeconds(60));
  }

  @Test
  void deliveryGoesOnWhileTheQueuesDatabaseSessionsAreTerminated() throws Exception {
    int n = 300;
    RecordingListener heard = new RecordingListener();
    MailQueue queue = pooledInstance("terminated", heard);
    CompletableFuture<Set<String>> producer = produce(queue, "t", n);
    int terminated = 0;
    for (int round = 0; round < 5; round++) {
      Thread.sleep(300); // enqueue and delivery go on between the terminations
      terminated += PostgresServer.get().terminate("queue-terminated");
    }
    Set<String> acknowledged = producer.get(60, TimeUnit.SECONDS);
    awaitAllDelivered(acknowledged);

    assertThat(terminated).isPositive();
    assertThat(acknowledged).hasSizeGreaterThan(n / 2);
    assertThat(heard.count("delivered")).isPositive();
  }

  @Test
  void deliveryResumesAfterAnImmediateDatabaseRestart() throws Exception {
    int n = 300;
    RecordingListener heard = new RecordingListener();
    MailQueue queue = pooledInstance("restarted", heard);
    CompletableFuture<Set<String>> producer = produce(queue, "r", n);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (server.received().size() < n / 4 && System.nanoTime() < end) {
      Thread.sleep(5);
    }
    int before = server.received().size();
    PostgresServer.get().restartImmediately(); // mid-delivery: in-flight outcomes fail or vanish
    Set<String> acknowledged = producer.get(90, TimeUnit.SECONDS);
    awaitAllDelivered(acknowledged);

    assertThat(before).isPositive().isLessThan(n);
    assertThat(acknowledged).hasSizeGreaterThan(n / 2);
    assertThat(server.received().size()).isGreaterThan(before);
  }

  @Test
  void perDayLimitsHoldAcrossTwoInstances() throws Exception {
    Mailbox carol = Mailbox.of("carol", "example.org");
    List<MailQueue> queues = new ArrayList<>();
    for (String owner : List.of("day-a", "day-b")) {
      queues.add(
          keep(
              MailQueue.builder()
                  .store(store(owner, Duration.ofSeconds(30)))
                  .transport(new JakartaTransport(server.port()))
                  .workers(4)
                  .domainConcurrency(4)
                  .pollInterval(Duration.ofMillis(50))
                  .domainRateLimit(RateLimit.perDay(5))
                  .rateLimit(RateLimit.perDay(8))
                  .build()));
    }
    for (int i = 0; i < 10; i++) {
      MailQueue q = queues.get(i % 2); // each instance queues half, so both take work
      q.enqueue(Envelope.of(ANA, List.of(BOB)), message("net" + i));
      q.enqueue(Envelope.of(ANA, List.of(carol)), message("org" + i));
    }
    server.awaitReceived(8, Duration.ofSeconds(30));
    Thread.sleep(1_000); // both instances poll every 50 ms: time enough to overstep, if they could

    List<TestSmtpServer.Received> got = server.received();
    long toNet = got.stream().filter(r -> r.recipients().get(0).endsWith("@example.net")).count();
    long toOrg = got.stream().filter(r -> r.recipients().get(0).endsWith("@example.org")).count();
    assertThat(got).hasSize(8);
    assertThat(toNet).isLessThanOrEqualTo(5);
    assertThat(toOrg).isLessThanOrEqualTo(5);
    assertThat(keep(store("inspector", Duration.ofSeconds(30))).size()).isEqualTo(12);
  }

  @Test
  void twoInstancesDeliverEveryMessageExactlyOnce() throws Exception {
    int n = 500; // each database call opens a connection (no pool in the tests): about 30 per second
    RecordingListener heardA = new RecordingListener();
    RecordingListener heardB = new RecordingListener();
    MailQueue a = instance("a", heardA);
    instance("b", heardB);

    List<CompletableFuture<QueueId>> queued = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      queued.add(a.enqueueAsync(Envelope.of(ANA, List.of(BOB)), message("m" + i)));
    }
    CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    server.awaitReceived(n, Duration.ofSeconds(60));
    PostgresQueueStore inspector = keep(store("inspector", Duration.ofSeconds(30)));
    awaitEmpty(inspector);

    Map<String, Integer> counts = countsByMessageId();
    assertThat(counts).hasSize(n);
    assertThat(counts.entrySet()).allSatisfy(e -> assertThat(e.getValue()).as(e.getKey()).isOne());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (heardA.count("delivered") + heardB.count("delivered") < n
        && System.nanoTime() < end) {
      Thread.sleep(10); // a listener hears of a delivery just after it is recorded
    }
    assertThat(heardA.count("delivered") + heardB.count("delivered")).isEqualTo(n);
    assertThat(heardA.count("delivered")).isPositive();
    assertThat(heardB.count("delivered")).isPositive();
  }

  @Test
  void aStalledInstancesLateOutcomeIsRefusedAfterAnotherRescuedItsLease() throws Exception {
    server.replyToData("451 4.3.0 Try again later"); // the rescuer's attempt, the first to DATA
    RecordingListener heardStalled = new RecordingListener();
    GatedTransport gated = new GatedTransport(new JakartaTransport(server.port()));
    // A scheduler nobody advances: the stalled instance's heartbeat never beats.
    ManualScheduler frozen = new ManualScheduler(ManualClock.ofDefaults());
    MailQueue stalled =
        keep(
            MailQueue.builder()
                .store(store("stalled", Duration.ofMillis(300)))
                .transport(gated)
                .scheduler(frozen)
                .workers(2)
                .listener(heardStalled)
                .build());
    QueueId id = stalled.enqueue(Envelope.of(ANA, List.of(BOB)), message("late"));
    heardStalled.await("started", 1); // leased to the stalled instance, waiting at the gate

    RecordingListener heardRescuer = new RecordingListener();
    PostgresQueueStore rescuerStore = store("rescuer", Duration.ofSeconds(30));
    keep(
        MailQueue.builder()
            .store(rescuerStore)
            .transport(new JakartaTransport(server.port()))
            .pollInterval(Duration.ofMillis(50))
            .listener(heardRescuer)
            .build());
    heardRescuer.await("attempt", 1); // took over the expired lease and was deferred
    QueueEntry deferred = rescuerStore.entry(id).orElseThrow();
    assertThat(deferred.recipients().get(0).status()).isEqualTo(RecipientState.Status.DEFERRED);
    assertThat(deferred.recipients().get(0).attempts()).isOne();

    gated.gate.countDown();
    server.awaitReceived(1, Duration.ofSeconds(20)); // the stalled instance did send, late
    open.remove(stalled);
    stalled.close(); // waits for its outcome to be written, or refused

    assertThat(rescuerStore.entry(id)).contains(deferred);
    assertThat(heardStalled.count("attempt")).isZero();
    assertThat(heardStalled.count("delivered")).isZero();
    assertThat(heardStalled.count("finished")).isZero();
  }

  @Test
  void theHeartbeatKeepsALeaseAcrossALongTransaction() throws Exception {
    RecordingListener heardSlow = new RecordingListener();
    GatedTransport gated = new GatedTransport(new JakartaTransport(server.port()));
    MailQueue slow =
        keep(
            MailQueue.builder()
                .store(store("slow", Duration.ofMillis(300)))
                .transport(gated)
                .workers(2)
                .listener(heardSlow)
                .build());
    slow.enqueue(Envelope.of(ANA, List.of(BOB)), message("slow"));
    heardSlow.await("started", 1);
    RecordingListener heardOther = new RecordingListener();
    keep(
        MailQueue.builder()
            .store(store("other", Duration.ofSeconds(30)))
            .transport(new JakartaTransport(server.port()))
            .pollInterval(Duration.ofMillis(50))
            .listener(heardOther)
            .build());

    Thread.sleep(1000); // over three lease durations on the database clock, renewed meanwhile
    gated.gate.countDown();
    heardSlow.await("finished", 1);

    assertThat(server.received()).hasSize(1);
    assertThat(heardOther.count("started")).isZero();
  }
}
