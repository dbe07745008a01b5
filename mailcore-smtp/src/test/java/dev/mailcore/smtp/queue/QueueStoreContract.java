package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.DsnOptions;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.ServerReply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link QueueStore} does; each implementation's test extends this. */
abstract class QueueStoreContract {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  static final Mailbox BOB = Mailbox.of("bob", "example.net");
  static final Mailbox CAROL = Mailbox.of("carol", "example.org");

  QueueStore store;

  abstract QueueStore open() throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    store = open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  static QueueEntry entry(String id, Instant created) {
    Envelope env =
        new Envelope(
            Optional.of(ANA),
            List.of(BOB, CAROL),
            DsnOptions.notifyOn(DsnOptions.Notify.FAILURE).withEnvelopeId("env-1"));
    return QueueEntry.ofNew(new QueueId(id), env, created);
  }

  static Content bytes(String text) {
    return Content.ofString(text, StandardCharsets.UTF_8);
  }

  static QueueEntry deferBob(QueueEntry e, Instant at, Instant next) {
    RecipientResult r =
        RecipientResult.ofReply(BOB, ServerReply.of(451, "4.2.2 mailbox full"), "mx.example.net");
    RecipientState bob =
        e.recipients()
            .get(0)
            .after(r, RecipientState.Status.DEFERRED, at, Optional.of(next), r.diagnostic());
    return e.withRecipients(List.of(bob, e.recipients().get(1)));
  }

  @Test
  void appendedEntryAndBytesCanBeReadBack() {
    QueueEntry e = entry("a1", T0);
    store.append(e, bytes("Subject: hi\r\n\r\nbody\r\n"));

    assertThat(store.entry(e.id())).contains(e);
    assertThat(new String(store.message(e.id()).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("Subject: hi\r\n\r\nbody\r\n");
    assertThat(store.size()).isEqualTo(1);
  }

  @Test
  void eachOpenOfTheMessageStreamsTheSameBytes() {
    QueueEntry e = entry("a1", T0);
    store.append(e, bytes("same bytes"));
    Content c = store.message(e.id());
    assertThat(c.readAllBytes()).isEqualTo(c.readAllBytes());
  }

  @Test
  void appendingAnExistingIdIsRefused() {
    store.append(entry("a1", T0), bytes("x"));
    assertThatThrownBy(() -> store.append(entry("a1", T0), bytes("y")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void updateReplacesTheRecipientState() {
    QueueEntry e = entry("a1", T0);
    store.append(e, bytes("x"));
    QueueEntry later = deferBob(e, T0.plusSeconds(10), T0.plusSeconds(310));
    store.update(later);

    RecipientState bob = store.entry(e.id()).orElseThrow().recipients().get(0);
    assertThat(bob.status()).isEqualTo(RecipientState.Status.DEFERRED);
    assertThat(bob.attempts()).isEqualTo(1);
    assertThat(bob.lastReply().orElseThrow().toString()).isEqualTo("451 4.2.2 mailbox full");
    assertThat(bob.remoteHost()).contains("mx.example.net");
    assertThat(store.entry(e.id())).contains(later);
  }

  @Test
  void updateOfAMissingEntryFails() {
    assertThatThrownBy(() -> store.update(entry("nope", T0)))
        .isInstanceOf(NoSuchElementException.class);
    assertThatThrownBy(() -> store.message(new QueueId("nope")))
        .isInstanceOf(NoSuchElementException.class);
  }

  @Test
  void deleteRemovesEntryAndBytes() {
    QueueEntry e = entry("a1", T0);
    store.append(e, bytes("x"));
    store.delete(e.id());
    store.delete(e.id());

    assertThat(store.entry(e.id())).isEmpty();
    assertThat(store.entries()).isEmpty();
    assertThatThrownBy(() -> store.message(e.id())).isInstanceOf(NoSuchElementException.class);
  }

  @Test
  void dueListsEntriesByNextAttempt() {
    QueueEntry early = entry("early", T0);
    QueueEntry late = entry("late", T0.plusSeconds(60));
    store.append(late, bytes("x"));
    store.append(early, bytes("x"));

    assertThat(store.due(T0, 10)).containsExactly(early);
    assertThat(store.due(T0.plusSeconds(60), 10)).containsExactly(early, late);
    assertThat(store.due(T0.plusSeconds(60), 1)).containsExactly(early);
    assertThat(store.nextDue()).contains(T0);
    assertThat(store.entries()).containsExactly(late, early);
  }

  @Test
  void nextDueFollowsTheEarliestOpenRecipient() {
    QueueEntry e = entry("a1", T0);
    store.append(e, bytes("x"));
    QueueEntry deferred = deferBob(e, T0, T0.plus(Duration.ofMinutes(5)));
    RecipientResult ok =
        RecipientResult.ofReply(CAROL, ServerReply.of(250, "2.0.0 ok"), "mx.example.org");
    QueueEntry later =
        deferred.withRecipients(
            List.of(
                deferred.recipients().get(0),
                deferred
                    .recipients()
                    .get(1)
                    .after(ok, RecipientState.Status.DELIVERED, T0, Optional.empty(), "ok")));
    store.update(later);

    assertThat(store.nextDue()).contains(T0.plus(Duration.ofMinutes(5)));
    assertThat(store.due(T0, 10)).isEmpty();
  }
}
