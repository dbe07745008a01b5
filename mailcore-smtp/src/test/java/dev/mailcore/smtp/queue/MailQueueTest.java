package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.testing.ManualClock;
import dev.mailcore.testing.ManualScheduler;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class MailQueueTest {

  static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  static final Mailbox BOB = Mailbox.of("bob", "example.net");
  static final Mailbox CAROL = Mailbox.of("carol", "example.net");
  static final Mailbox DAVE = Mailbox.of("dave", "example.net");

  final ManualClock clock = ManualClock.ofDefaults();
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final RecordingListener listener = new RecordingListener();
  TestSmtpServer server;
  MailQueue queue;

  @BeforeEach
  void startServer() throws Exception {
    server = new TestSmtpServer();
  }

  @AfterEach
  void stop() throws Exception {
    if (queue != null) {
      queue.close();
    }
    server.close();
  }

  final InMemoryQueueStore store = new InMemoryQueueStore();

  MailQueue.Builder builder() {
    return MailQueue.builder()
        .store(store)
        .transport(new JakartaTransport(server.port()))
        .clock(clock)
        .scheduler(scheduler)
        .workers(4)
        .hostname("mta.shop.example")
        .listener(listener);
  }

  static Content message(String subject, Mailbox from, Mailbox... to) {
    StringBuilder s = new StringBuilder();
    s.append("From: ").append(from.address()).append("\r\n");
    s.append("To: ")
        .append(String.join(", ", java.util.Arrays.stream(to).map(Mailbox::address).toList()))
        .append("\r\n");
    s.append("Subject: ").append(subject).append("\r\n");
    s.append("Message-ID: <").append(subject.replace(' ', '-')).append("@shop.example>\r\n");
    s.append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n");
    s.append("Hello, this is ").append(subject).append(".\r\n");
    return Content.ofString(s.toString(), StandardCharsets.UTF_8);
  }

  /** Moves the clock to the next scheduled wake-up and runs it. */
  void advanceToNextWakeup() {
    Instant next =
        scheduler.nextDueTime().orElseThrow(() -> new AssertionError("no wake-up is scheduled"));
    scheduler.advance(
        next.isAfter(clock.instant()) ? Duration.between(clock.instant(), next) : Duration.ZERO);
  }

  @Test
  void deliversExactlyOnceAfterTwoTemporaryFailures() throws Exception {
    server.replyToData("451 4.3.0 Try again later", "451 4.3.0 Try again later");
    queue = builder().build();
    Instant start = clock.instant();

    QueueId id = queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("twice deferred", ANA, BOB));
    listener.await("attempt", 1);
    RecipientState first = queue.entry(id).orElseThrow().recipients().get(0);
    assertThat(first.status()).isEqualTo(RecipientState.Status.DEFERRED);
    assertThat(first.attempts()).isEqualTo(1);
    assertThat(first.nextAttempt()).contains(start.plus(Duration.ofMinutes(5)));
    assertThat(first.lastReply().orElseThrow().code()).isEqualTo(451);

    scheduler.advance(Duration.ofMinutes(5));
    listener.await("attempt", 2);
    RecipientState second = queue.entry(id).orElseThrow().recipients().get(0);
    assertThat(second.attempts()).isEqualTo(2);
    assertThat(second.nextAttempt()).contains(start.plus(Duration.ofMinutes(15)));

    scheduler.advance(Duration.ofMinutes(10));
    listener.await("finished", 1);

    assertThat(server.received()).hasSize(1);
    assertThat(server.received().get(0).text())
        .contains("Subject: twice deferred", "Hello, this is twice deferred.");
    QueueEntry done = listener.finishedEntry(id);
    assertThat(done.recipients().get(0).status()).isEqualTo(RecipientState.Status.DELIVERED);
    assertThat(done.recipients().get(0).attempts()).isEqualTo(3);
    assertThat(listener.count("attempt")).isEqualTo(3);
    assertThat(queue.entry(id)).isEmpty();
    assertThat(listener.count("bounced")).isZero();
  }

  @Test
  void deliversTheOthersAndSendsOneReportNamingTheFailedRecipient() throws Exception {
    server.alwaysReplyToRcpt(
        CAROL.address(), "550 5.1.1 <carol@example.net>: Recipient address rejected: User unknown");
    queue = builder().build();

    QueueId id =
        queue.enqueue(
            Envelope.of(ANA, List.of(BOB, CAROL, DAVE)),
            message("three recipients", ANA, BOB, CAROL, DAVE));
    listener.await("finished", 2); // the message, then its notification

    List<TestSmtpServer.Received> got = server.received();
    assertThat(got).hasSize(2);
    assertThat(got.get(0).reversePath()).isEqualTo(ANA.address());
    assertThat(got.get(0).recipients()).containsExactly(BOB.address(), DAVE.address());
    TestSmtpServer.Received bounce = got.get(1);
    assertThat(bounce.reversePath()).isEmpty();
    assertThat(bounce.recipients()).containsExactly(ANA.address());

    Dsn dsn = Dsn.parse(bounce.data());
    assertThat(dsn.reportType()).isEqualTo("delivery-status");
    assertThat(dsn.perMessage().getHeader("Reporting-MTA", null))
        .isEqualTo("dns; mta.shop.example");
    assertThat(dsn.recipients()).hasSize(1);
    assertThat(dsn.field(0, "Final-Recipient")).isEqualTo("rfc822; carol@example.net");
    assertThat(dsn.field(0, "Action")).isEqualTo("failed");
    assertThat(dsn.field(0, "Status")).isEqualTo("5.1.1");
    assertThat(dsn.field(0, "Remote-MTA")).isEqualTo("dns; 127.0.0.1");
    assertThat(dsn.field(0, "Diagnostic-Code"))
        .isEqualTo("smtp; 550 5.1.1 <carol@example.net>: Recipient address rejected: User unknown");
    assertThat(dsn.originalHeaders()).contains("text/rfc822-headers", "Subject: three recipients");
    assertThat(dsn.humanText()).contains("carol@example.net");
    assertThat(listener.count("bounced " + id + " [carol@example.net]")).isEqualTo(1);
    assertThat(listener.count("delivered " + id)).isEqualTo(2);
  }

  @Test
  void bouncesWhenTheLifetimeRunsOut() throws Exception {
    server.alwaysReplyToRcpt(BOB.address(), "451 4.2.2 Mailbox full, try later");
    queue = builder().lifetime(Duration.ofHours(1)).build();
    Instant start = clock.instant();

    QueueId id = queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("expiring", ANA, BOB));
    listener.await("attempt", 1);
    for (int attempt = 2; attempt <= 5; attempt++) {
      advanceToNextWakeup();
      listener.await("attempt " + id, attempt);
    }
    listener.await("finished", 2);

    // 0, 5, 15, 35 minutes, then the last attempt at the end of the lifetime
    assertThat(clock.instant()).isEqualTo(start.plus(Duration.ofHours(1)));
    assertThat(listener.count("expired " + id + " bob@example.net")).isEqualTo(1);
    List<TestSmtpServer.Received> got = server.received();
    assertThat(got).hasSize(1);
    Dsn dsn = Dsn.parse(got.get(0).data());
    assertThat(dsn.field(0, "Action")).isEqualTo("failed");
    assertThat(dsn.field(0, "Status")).isEqualTo("4.2.2");
    assertThat(dsn.field(0, "Diagnostic-Code"))
        .isEqualTo("smtp; 451 4.2.2 Mailbox full, try later");
    assertThat(dsn.humanText()).contains("lifetime expired");
  }

  @Test
  void neverBouncesABounce() throws Exception {
    server.alwaysReplyToRcpt(BOB.address(), "550 5.1.1 no such user");
    server.alwaysReplyToRcpt(ANA.address(), "550 5.1.1 no such sender either");
    queue = builder().build();

    QueueId id = queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("double bounce", ANA, BOB));
    listener.await("finished", 2);

    assertThat(listener.notifications()).hasSize(2);
    QueueId dsn = listener.notifications().get(0).orElseThrow();
    assertThat(dsn).isNotEqualTo(id);
    assertThat(listener.notifications().get(1)).as("the failed notification causes none").isEmpty();
    assertThat(listener.count("enqueued")).isEqualTo(2);
    assertThat(queue.stats().isEmpty()).isTrue();
    assertThat(server.received()).isEmpty();
  }

  @Test
  void messageWithEmptyReversePathFailsWithoutNotification() throws Exception {
    server.alwaysReplyToRcpt(BOB.address(), "550 5.7.1 rejected");
    queue = builder().build();

    queue.enqueue(Envelope.ofBounce(List.of(BOB)), message("a bounce", ANA, BOB));
    listener.await("finished", 1);

    assertThat(listener.notifications()).containsExactly(Optional.empty());
    assertThat(listener.count("enqueued")).isEqualTo(1);
  }

  @Test
  void neverOpensMoreSessionsPerDomainThanItsCap() throws Exception {
    server.holdUntilConcurrent(2, Duration.ofSeconds(1));
    queue = builder().workers(8).domainConcurrency(2).build();

    for (int i = 0; i < 10; i++) {
      queue.enqueue(
          Envelope.of(ANA, List.of(Mailbox.of("u" + i, "a.example"))), message("a" + i, ANA, BOB));
      queue.enqueue(
          Envelope.of(ANA, List.of(Mailbox.of("u" + i, "b.example"))), message("b" + i, ANA, BOB));
    }
    listener.await("finished", 20);

    assertThat(server.received()).hasSize(20);
    assertThat(server.maxActive("a.example")).isEqualTo(2);
    assertThat(server.maxActive("b.example")).isEqualTo(2);
  }

  @Test
  void aDomainAtItsCapDoesNotHoldBackAnotherBehindALongBacklog() throws Exception {
    java.util.concurrent.CountDownLatch releaseA = new java.util.concurrent.CountDownLatch(1);
    QueueTransport smtp = new JakartaTransport(server.port());
    java.util.concurrent.atomic.AtomicInteger activeA = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger maxA = new java.util.concurrent.atomic.AtomicInteger();
    QueueTransport slowA = // the application's transport: a.example's server is stuck for now
        (envelope, content) -> {
          if (!envelope.recipients().get(0).domain().equals("a.example")) {
            return smtp.deliver(envelope, content);
          }
          maxA.accumulateAndGet(activeA.incrementAndGet(), Math::max);
          try {
            releaseA.await(20, java.util.concurrent.TimeUnit.SECONDS);
            return smtp.deliver(envelope, content);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          } finally {
            activeA.decrementAndGet();
          }
        };
    queue = builder().transport(slowA).workers(4).domainConcurrency(1).build();
    for (int i = 0; i < 300; i++) {
      queue.enqueue(
          Envelope.of(ANA, List.of(Mailbox.of("u" + i, "a.example"))), message("a" + i, ANA, BOB));
    }
    clock.advance(Duration.ofMillis(1)); // due a moment later: b sorts behind all of a's backlog
    queue.enqueue(
        Envelope.of(ANA, List.of(Mailbox.of("late", "b.example"))), message("b", ANA, BOB));
    // A deep scan that found nothing to start is not repeated for a second unless the queue grows,
    // and a wake-up is set for then. Should b have fallen due just after such a scan (the clock moved
    // on while it ran), that second passes on the manual clock. Scanning only the backlog's front,
    // as the dispatcher once did, never finds b, however often it wakes.
    long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (server.received().isEmpty() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    if (server.received().isEmpty() && scheduler.nextDueTime().isPresent()) {
      advanceToNextWakeup();
    }

    List<TestSmtpServer.Received> first = server.awaitReceived(1, Duration.ofSeconds(10));
    assertThat(first.get(0).recipients())
        .as("b.example goes out while 300 messages for a.example wait for their one session")
        .containsExactly("late@b.example");
    releaseA.countDown();
    listener.await("finished", 301);
    assertThat(server.received()).hasSize(301);
    assertThat(maxA.get()).as("a.example never had more than its one transaction").isEqualTo(1);
  }

  @Test
  void overallRateLimitHoldsUnderTheManualClock() throws Exception {
    queue = builder().workers(8).domainConcurrency(8).rateLimit(RateLimit.perSecond(5)).build();

    for (int i = 0; i < 12; i++) {
      queue.enqueue(
          Envelope.of(ANA, List.of(Mailbox.of("u" + i, "rate.example"))),
          message("r" + i, ANA, BOB));
    }
    listener.await("attempt", 5);
    assertThat(listener.count("started")).isEqualTo(5);

    scheduler.advance(Duration.ofSeconds(1));
    listener.await("attempt", 10);
    assertThat(listener.count("started")).isEqualTo(10);

    scheduler.advance(Duration.ofSeconds(1));
    listener.await("attempt", 12);
    assertThat(server.received()).hasSize(12);
  }

  @Test
  void dailyDomainLimitSpreadsTheRestOverTheDay() throws Exception {
    queue = builder().domainRateLimit(RateLimit.perDay(3)).build();

    for (int i = 0; i < 5; i++) {
      queue.enqueue(
          Envelope.of(ANA, List.of(Mailbox.of("u" + i, "free.example"))),
          message("d" + i, ANA, BOB));
    }
    queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("other domain", ANA, BOB));
    listener.await("attempt", 4);
    assertThat(listener.count("started")).isEqualTo(4);

    scheduler.advance(Duration.ofHours(1));
    assertThat(listener.count("started")).isEqualTo(4);

    scheduler.advance(Duration.ofHours(7)); // a daily limit of 3 refills one every 8 hours
    listener.await("attempt", 5);
    assertThat(listener.count("started")).isEqualTo(5);
  }

  @Test
  void retryNowSkipsTheBackOff() throws Exception {
    server.replyToData("451 4.3.0 later");
    queue = builder().build();

    QueueId id = queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("retry now", ANA, BOB));
    listener.await("attempt", 1);
    assertThat(queue.retryNow(id)).isTrue();
    listener.await("finished", 1);

    assertThat(server.received()).hasSize(1);
    assertThat(queue.retryNow(id)).isFalse();
  }

  @Test
  void cancelRemovesTheEntryWithoutNotification() throws Exception {
    server.alwaysReplyToRcpt(BOB.address(), "451 4.3.0 later");
    queue = builder().build();

    QueueId id = queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("cancelled", ANA, BOB));
    listener.await("attempt", 1);

    assertThat(queue.cancel(id)).isTrue();
    assertThat(queue.entry(id)).isEmpty();
    assertThat(listener.count("cancelled " + id)).isEqualTo(1);
    assertThat(listener.count("bounced")).isZero();
    assertThat(queue.cancel(id)).isFalse();
  }

  @Test
  void aCancelArrivingWhileTheOutcomeIsStoredStillRemovesTheEntry() throws Exception {
    server.alwaysReplyToRcpt(BOB.address(), "451 4.3.0 later");
    java.util.concurrent.CountDownLatch storing = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch proceed = new java.util.concurrent.CountDownLatch(1);
    QueueStore held = new HeldUpdates(store, storing, proceed);
    queue = builder().store(held).build();

    QueueId id = queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("late cancel", ANA, BOB));
    assertThat(storing.await(10, java.util.concurrent.TimeUnit.SECONDS))
        .as("the deferral is being stored")
        .isTrue();
    assertThat(queue.cancel(id)).isTrue(); // the outcome has read the cancel flag already
    proceed.countDown();
    listener.await("cancelled " + id, 1);

    assertThat(queue.entry(id)).isEmpty();
    assertThat(store.size()).isZero();
    assertThat(listener.count("bounced")).isZero();
  }

  /** A store whose first update waits until the test lets it go on. */
  private static final class HeldUpdates implements QueueStore {
    private final QueueStore inner;
    private final java.util.concurrent.CountDownLatch storing;
    private final java.util.concurrent.CountDownLatch proceed;

    HeldUpdates(
        QueueStore inner,
        java.util.concurrent.CountDownLatch storing,
        java.util.concurrent.CountDownLatch proceed) {
      this.inner = inner;
      this.storing = storing;
      this.proceed = proceed;
    }

    @Override
    public void update(QueueEntry entry) {
      storing.countDown();
      try {
        proceed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      inner.update(entry);
    }

    @Override
    public void append(QueueEntry entry, Content message) {
      inner.append(entry, message);
    }

    @Override
    public Content message(QueueId id) {
      return inner.message(id);
    }

    @Override
    public void delete(QueueId id) {
      inner.delete(id);
    }

    @Override
    public Optional<QueueEntry> entry(QueueId id) {
      return inner.entry(id);
    }

    @Override
    public List<QueueEntry> entries() {
      return inner.entries();
    }

    @Override
    public List<QueueEntry> due(Instant now, int limit) {
      return inner.due(now, limit);
    }

    @Override
    public Optional<Instant> nextDue() {
      return inner.nextDue();
    }

    @Override
    public int size() {
      return inner.size();
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  @Test
  void warnsOnceWhenStillDeferredAfterTheDelayThreshold() throws Exception {
    server.alwaysReplyToRcpt(BOB.address(), "451 4.4.1 No answer from host");
    queue = builder().delayWarning(Duration.ofMinutes(30)).build();

    QueueId id = queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("slow", ANA, BOB));
    listener.await("attempt", 1);
    for (int attempt = 2; attempt <= 6; attempt++) { // 5, 15, 35, 75, 135 minutes
      advanceToNextWakeup();
      listener.await("attempt " + id, attempt);
      if (attempt == 4) {
        listener.await("finished", 1); // the warning, queued at 35 minutes, was delivered
      }
    }

    assertThat(listener.count("delayed " + id)).isEqualTo(1);
    List<TestSmtpServer.Received> got = server.received();
    assertThat(got).hasSize(1);
    Dsn dsn = Dsn.parse(got.get(0).data());
    assertThat(dsn.subject()).startsWith("Delayed Mail");
    assertThat(dsn.field(0, "Action")).isEqualTo("delayed");
    assertThat(dsn.field(0, "Status")).isEqualTo("4.4.1");
    assertThat(dsn.field(0, "Will-Retry-Until")).isNotNull();
    assertThat(queue.entry(id).orElseThrow().delayWarned()).isTrue();
  }

  @Test
  void statsCountRecipientsPerState() throws Exception {
    server.alwaysReplyToRcpt(CAROL.address(), "451 4.3.0 later");
    queue = builder().build();

    queue.enqueue(Envelope.of(ANA, List.of(BOB, CAROL)), message("stats", ANA, BOB, CAROL));
    listener.await("attempt", 1);

    QueueStats stats = queue.stats();
    assertThat(stats.entries()).isEqualTo(1);
    assertThat(stats.delivered()).isEqualTo(1);
    assertThat(stats.deferred()).isEqualTo(1);
    assertThat(stats.pending()).isZero();
    assertThat(queue.entries()).hasSize(1);
  }

  @Test
  void closeLeavesUndeliveredMessagesQueuedForTheNextStart(@TempDir Path dir) throws Exception {
    server.alwaysReplyToRcpt(BOB.address(), "451 4.3.0 later");
    queue = builder().store(FileQueueStore.open(dir)).build();
    queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("kept 1", ANA, BOB));
    queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("kept 2", ANA, BOB));
    listener.await("attempt", 2);
    queue.close();
    assertThatThrownBy(
            () -> queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("late", ANA, BOB)))
        .isInstanceOf(IllegalStateException.class);

    try (FileQueueStore reopened = FileQueueStore.open(dir)) {
      assertThat(reopened.entries()).hasSize(2);
      assertThat(reopened.entries())
          .allSatisfy(
              e -> {
                assertThat(e.recipients().get(0).status())
                    .isEqualTo(RecipientState.Status.DEFERRED);
                assertThat(e.recipients().get(0).attempts()).isEqualTo(1);
              });
    }
    queue = null;
  }

  @Test
  void deliversStoredBytesToGreenMail(@TempDir Path dir) throws Exception {
    GreenMail greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    try {
      queue =
          builder()
              .store(FileQueueStore.open(dir))
              .transport(new JakartaTransport(greenMail.getSmtp().getPort()))
              .build();
      queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("through greenmail", ANA, BOB));
      listener.await("finished", 1);

      MimeMessage[] got = greenMail.getReceivedMessages();
      assertThat(got).hasSize(1);
      assertThat(got[0].getSubject()).isEqualTo("through greenmail");
      assertThat(got[0].getContent().toString()).contains("Hello, this is through greenmail.");
    } finally {
      greenMail.stop();
    }
  }

  @Test
  void rendersAMessageOnceAtEnqueue() throws Exception {
    server.replyToData("451 4.3.0 Try again later");
    queue = builder().build();
    Message message =
        Message.builder().from(ANA).to(BOB).subject("rendered once").text("Olá, Bob.").build();

    QueueId id = queue.enqueue(Envelope.of(message), message);
    byte[] stored = queue.entry(id).isPresent() ? storedBytes(id) : null;
    listener.await("attempt", 1);
    scheduler.advance(Duration.ofMinutes(5));
    listener.await("finished", 1);

    assertThat(stored).isNotNull();
    String text = new String(stored, StandardCharsets.UTF_8);
    assertThat(text).contains("Subject: rendered once");
    Message parsed =
        Message.parse(new java.io.ByteArrayInputStream(server.received().get(0).data()));
    assertThat(parsed.subject()).contains("rendered once");
    assertThat(parsed.text().orElseThrow()).contains("Olá, Bob.");
  }

  @Test
  void asynchronousEnqueueCompletesOnceDurableAndDelivers(@TempDir Path dir) throws Exception {
    queue = builder().store(FileQueueStore.open(dir)).build();

    List<java.util.concurrent.CompletableFuture<QueueId>> futures = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(
          queue.enqueueAsync(Envelope.of(ANA, List.of(BOB)), message("async " + i, ANA, BOB)));
    }
    java.util.Set<QueueId> ids = new java.util.HashSet<>();
    for (var f : futures) {
      ids.add(f.get(10, java.util.concurrent.TimeUnit.SECONDS));
    }
    listener.await("finished", 50);

    assertThat(ids).hasSize(50);
    assertThat(server.received()).hasSize(50);
    assertThat(listener.count("enqueued")).isEqualTo(50);
  }

  @Test
  void aThrowingListenerDoesNotStopDelivery() throws Exception {
    QueueListener broken =
        new QueueListener() {
          @Override
          public void enqueued(QueueEntry entry) {
            throw new IllegalStateException("listener bug");
          }

          @Override
          public void attemptFinished(
              QueueEntry entry, List<dev.mailcore.RecipientResult> results) {
            throw new IllegalStateException("listener bug");
          }
        };
    queue = builder().listener(broken).build();

    queue.enqueue(Envelope.of(ANA, List.of(BOB)), message("listener", ANA, BOB));

    assertThat(server.awaitReceived(1, Duration.ofSeconds(10))).hasSize(1);
  }

  private byte[] storedBytes(QueueId id) {
    return store.message(id).readAllBytes();
  }
}
