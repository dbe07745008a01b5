package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.ServerReply;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QueueEntryTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  static final Mailbox BOB = Mailbox.of("bob", "example.net");
  static final Mailbox CAROL = Mailbox.of("carol", "example.org");

  @Test
  void newEntryHasEveryRecipientPendingAndDueAtOnce() {
    QueueEntry e = QueueEntry.ofNew(new QueueId("q1"), Envelope.of(ANA, List.of(BOB, CAROL)), T0);

    assertThat(e.recipients())
        .extracting(RecipientState::status)
        .containsOnly(RecipientState.Status.PENDING);
    assertThat(e.nextAttempt()).contains(T0);
    assertThat(e.isFinished()).isFalse();
    assertThat(e.attempts()).isZero();
  }

  @Test
  void finishedOnceEveryRecipientIsDeliveredOrFailed() {
    QueueEntry e = QueueEntry.ofNew(new QueueId("q1"), Envelope.of(ANA, List.of(BOB, CAROL)), T0);
    RecipientResult ok = RecipientResult.ofReply(BOB, ServerReply.of(250, "2.0.0 ok"), "mx");
    RecipientResult no = RecipientResult.ofReply(CAROL, ServerReply.of(550, "5.1.1 no"), "mx");
    QueueEntry done =
        e.withRecipients(
            List.of(
                e.recipients()
                    .get(0)
                    .after(ok, RecipientState.Status.DELIVERED, T0, Optional.empty(), "ok"),
                e.recipients()
                    .get(1)
                    .after(no, RecipientState.Status.FAILED, T0, Optional.empty(), "no")));

    assertThat(done.isFinished()).isTrue();
    assertThat(done.nextAttempt()).isEmpty();
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(done.recipients(RecipientState.Status.FAILED))
        .extracting(RecipientState::recipient)
        .containsExactly(CAROL);
    assertThat(done.recipient(Mailbox.of("Carol", "carol", "EXAMPLE.ORG"))).isPresent();
  }

  @Test
  void recipientStateRejectsAFinalStatusWithANextAttempt() {
    assertThatThrownBy(
            () ->
                new RecipientState(
                    BOB,
                    RecipientState.Status.DELIVERED,
                    1,
                    Optional.of(T0),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new RecipientState(
                    BOB,
                    RecipientState.Status.DEFERRED,
                    1,
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void statsCountRecipientsOfQueuedEntries() {
    QueueEntry a = QueueEntry.ofNew(new QueueId("a"), Envelope.of(ANA, List.of(BOB, CAROL)), T0);
    QueueEntry b = QueueEntry.ofNew(new QueueId("b"), Envelope.of(ANA, List.of(BOB)), T0);

    QueueStats stats = QueueStats.of(List.of(a, b), 1);

    assertThat(stats).isEqualTo(new QueueStats(2, 3, 0, 0, 0, 1));
    assertThat(QueueStats.of(List.of(), 0).isEmpty()).isTrue();
  }
}
