package dev.mailcore.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.DeliveryStatus;
import dev.mailcore.EnhancedStatus;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.ServerReply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FakeMailSenderTest {
  private static final Mailbox ANA = Mailbox.of("Ana", "ana", "shop.example");
  private static final Mailbox BOB = Mailbox.of("bob", "example.org");
  private static final Mailbox CARL = Mailbox.of("carl", "example.org");
  private static final Mailbox DORA = Mailbox.of("dora", "other.example");

  private final FakeMailSender sender = new FakeMailSender();

  private static Message message(String subject, Mailbox... to) {
    Message.Builder b = Message.builder().from(ANA).subject(subject).text("text of " + subject);
    for (Mailbox m : to) {
      b.to(m);
    }
    return b.build();
  }

  private static DeliveryStatus status(SendResult r, Mailbox m) {
    return r.recipient(m).orElseThrow().status();
  }

  @Test
  void acceptsEveryRecipientByDefault() {
    SendResult r = sender.send(message("Hi", BOB, CARL));

    assertThat(r.isAllDelivered()).isTrue();
    assertThat(r.recipients()).extracting(RecipientResult::recipient).containsExactly(BOB, CARL);
    RecipientResult bob = r.recipients().get(0);
    assertThat(bob.replyCode()).hasValue(250);
    assertThat(bob.enhancedStatus()).contains(new EnhancedStatus(2, 0, 0));
    assertThat(bob.remoteHost()).contains(FakeMailSender.HOST);
  }

  @Test
  void resultCarriesTheMessageId() {
    Message m = message("Hi", BOB);
    assertThat(sender.send(m).messageId()).isEqualTo(m.messageId()).isPresent();
  }

  @Test
  void recordsEnvelopeAndMessageOfEverySend() {
    Message m = Message.builder().from(ANA).to(BOB).bcc(DORA).subject("Secret").text("x").build();
    sender.send(m);

    FakeMailSender.SentMessage sent = sender.lastSent().orElseThrow();
    assertThat(sender.sent()).containsExactly(sent);
    assertThat(sent.message()).isSameAs(m);
    assertThat(sent.envelope().reversePath()).contains(ANA.withDisplayName(null));
    assertThat(sent.envelope().recipients()).containsExactly(BOB, DORA);
    assertThat(sent.deliveredTo()).containsExactly(BOB, DORA);
  }

  @Test
  void explicitEnvelopeDecidesTheRecipients() {
    sender.send(Envelope.of(ANA, List.of(CARL)), message("Redirected", BOB));
    assertThat(sender.sentTo(CARL)).hasSize(1);
    assertThat(sender.sentTo(BOB)).isEmpty();
  }

  @Test
  void defersOneAddress() {
    sender.deferring("bob@example.org", ServerReply.of(451, "4.3.0 Try later"));
    SendResult r = sender.send(message("Hi", BOB, CARL));

    RecipientResult bob = r.recipient(BOB).orElseThrow();
    assertThat(bob.status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(bob.replyCode()).hasValue(451);
    assertThat(bob.enhancedStatus()).contains(new EnhancedStatus(4, 3, 0));
    assertThat(bob.diagnostic()).contains("Try later");
    assertThat(status(r, CARL)).isEqualTo(DeliveryStatus.DELIVERED);
  }

  @Test
  void failsAWholeDomainIgnoringCase() {
    sender.failing("EXAMPLE.org", ServerReply.of(550, "5.7.1 Relaying denied"));
    SendResult r = sender.send(message("Hi", BOB, CARL, DORA));

    assertThat(status(r, BOB)).isEqualTo(DeliveryStatus.FAILED);
    assertThat(status(r, CARL)).isEqualTo(DeliveryStatus.FAILED);
    assertThat(status(r, DORA)).isEqualTo(DeliveryStatus.DELIVERED);
    assertThat(r.recipient(BOB).orElseThrow().enhancedStatus())
        .contains(new EnhancedStatus(5, 7, 1));
  }

  @Test
  void addressOutcomeBeatsDomainOutcome() {
    sender.failing("example.org", ServerReply.of(550, "5.7.1 Denied"));
    sender.deferring(CARL, ServerReply.of(452, "4.2.2 Mailbox full"));
    SendResult r = sender.send(message("Hi", BOB, CARL));

    assertThat(status(r, BOB)).isEqualTo(DeliveryStatus.FAILED);
    assertThat(status(r, CARL)).isEqualTo(DeliveryStatus.DEFERRED);
  }

  @Test
  void failsOneMailboxWithNoSuchUser() {
    sender.failing(BOB, ServerReply.of(550, "5.1.1 No such user"));
    RecipientResult bob = sender.send(message("Hi", BOB)).recipients().get(0);
    assertThat(bob.status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(bob.reply().orElseThrow().toString()).isEqualTo("550 5.1.1 No such user");
  }

  @Test
  void failsTheNextSendsOnly() {
    sender.failingNext(2, ServerReply.of(421, "4.7.0 Too busy"));

    assertThat(status(sender.send(message("1", BOB)), BOB)).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(status(sender.send(message("2", BOB)), BOB)).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(status(sender.send(message("3", BOB)), BOB)).isEqualTo(DeliveryStatus.DELIVERED);
  }

  @Test
  void permanentFailureOfNextSendFailsEveryRecipient() {
    sender.failingNext(1, ServerReply.of(554, "5.3.4 Message too big"));
    SendResult r = sender.send(message("Big", BOB, DORA));
    assertThat(r.withStatus(DeliveryStatus.FAILED)).hasSize(2);
  }

  @Test
  void unreachableServerDefersWithoutReply() {
    sender.unreachableNext(1);
    RecipientResult bob = sender.send(message("Hi", BOB)).recipients().get(0);

    assertThat(bob.status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(bob.reply()).isEmpty();
    assertThat(bob.diagnostic()).contains("connection refused");
    assertThat(status(sender.send(message("Again", BOB)), BOB)).isEqualTo(DeliveryStatus.DELIVERED);
  }

  @Test
  void refusesRepliesOfTheWrongClass() {
    assertThatThrownBy(() -> sender.deferring("bob@example.org", ServerReply.of(550, "no")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sender.failing("bob@example.org", ServerReply.of(450, "later")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sender.failingNext(1, ServerReply.of(250, "ok")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sender.unreachableNext(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sender.failing("@example.org", ServerReply.of(550, "x")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sentToListsOnlyAcceptedRecipients() {
    sender.failing(BOB, ServerReply.of(550, "5.1.1 No such user"));
    sender.send(message("First", BOB, CARL));
    sender.send(message("Second", CARL));

    assertThat(sender.sentTo(BOB)).isEmpty();
    assertThat(sender.sentTo("carl@EXAMPLE.org"))
        .extracting(s -> s.message().subject().orElse(""))
        .containsExactly("First", "Second");
    assertThat(sender.sent()).hasSize(2);
    assertThatThrownBy(() -> sender.sentTo("carl")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void clearForgetsRecordsButKeepsOutcomes() {
    sender.failing(BOB, ServerReply.of(550, "5.1.1 No such user"));
    sender.send(message("Before", BOB));
    sender.clear();

    assertThat(sender.sent()).isEmpty();
    assertThat(sender.lastSent()).isEmpty();
    assertThat(status(sender.send(message("After", BOB)), BOB)).isEqualTo(DeliveryStatus.FAILED);

    sender.clearOutcomes();
    assertThat(status(sender.send(message("Cleared", BOB)), BOB))
        .isEqualTo(DeliveryStatus.DELIVERED);
  }

  @Test
  void sendAsyncCompletesOnTheCallingThread() throws Exception {
    CompletableFuture<SendResult> f =
        sender.sendAsync(Envelope.of(ANA, List.of(BOB)), message("Async", BOB));
    assertThat(f).isDone();
    assertThat(f.get().isAllDelivered()).isTrue();
    assertThat(sender.sent()).hasSize(1);
  }

  @Test
  void closedSenderRefusesToSend() {
    sender.close();
    assertThat(sender.isClosed()).isTrue();
    assertThatThrownBy(() -> sender.send(message("Late", BOB)))
        .isInstanceOf(IllegalStateException.class);
    CompletableFuture<SendResult> f =
        sender.sendAsync(Envelope.of(ANA, List.of(BOB)), message("Late", BOB));
    assertThatThrownBy(f::get)
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
    sender.close();
  }

  @Test
  void recordsEverySendFromManyThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        jobs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 100; i++) {
                    sender.send(message("m" + i, BOB));
                  }
                }));
      }
      for (Future<?> job : jobs) {
        job.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<FakeMailSender.SentMessage> sent = sender.sent();
    assertThat(sent).hasSize(400);
    Set<String> replies = new HashSet<>();
    sent.forEach(s -> replies.add(s.result().recipients().get(0).diagnostic()));
    assertThat(replies).as("each send gets its own queue id").hasSize(400);
  }

  @Test
  void bytesAreTheRenderedMessage() {
    sender.send(message("Rendered", BOB));
    String wire = new String(sender.lastSent().orElseThrow().bytes(), StandardCharsets.UTF_8);
    assertThat(wire)
        .contains("Subject: Rendered")
        .contains("text of Rendered")
        .doesNotContain("Bcc:");
  }
}
