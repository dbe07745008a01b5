package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.DsnOptions;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The lease value, and the default lease methods single-process stores inherit. */
class QueueLeaseTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  private static final Mailbox BOB = Mailbox.of("bob", "example.net");
  private static final Mailbox CAROL = Mailbox.of("carol", "example.org");

  private static QueueEntry entry(String id, Mailbox rcpt) {
    return QueueEntry.ofNew(
        new QueueId(id), new Envelope(Optional.of(ANA), List.of(rcpt), DsnOptions.none()), T0);
  }

  private static Content text() {
    return Content.ofString("x", StandardCharsets.UTF_8);
  }

  @Test
  void aLocalLeaseHasTokenZeroAndNeverExpires() {
    QueueLease lease = QueueLease.local(entry("m1", BOB));

    assertThat(lease.token()).isZero();
    assertThat(lease.owner()).isEqualTo(QueueLease.LOCAL_OWNER);
    assertThat(lease.expires()).isEqualTo(Instant.MAX);
    assertThat(lease.id()).isEqualTo(new QueueId("m1"));
  }

  @Test
  void aNegativeTokenOrEmptyOwnerIsRefused() {
    assertThatThrownBy(() -> new QueueLease(entry("m1", BOB), "a", -1, T0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new QueueLease(entry("m1", BOB), "", 1, T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theDefaultClaimGrantsEveryDueEntry() {
    try (QueueStore store = new InMemoryQueueStore()) {
      store.append(entry("m1", BOB), text());
      store.append(entry("m2", CAROL), text());

      assertThat(store.claim(T0, 10))
          .extracting(QueueLease::id)
          .containsExactly(new QueueId("m1"), new QueueId("m2"));
      assertThat(store.claim("EXAMPLE.org", T0, 10))
          .extracting(QueueLease::id)
          .containsExactly(new QueueId("m2"));
      assertThat(store.claim(T0.minusSeconds(1), 10)).isEmpty();
    }
  }

  @Test
  void theDefaultLeaseWritesApplyWhileTheEntryExists() {
    try (QueueStore store = new InMemoryQueueStore()) {
      QueueEntry e = entry("m1", BOB);
      store.append(e, text());
      QueueLease lease = store.claim(T0, 1).get(0);

      assertThat(store.renew(List.of(lease))).containsExactly(lease);
      assertThat(store.update(lease, e.withDelayWarned())).isTrue();
      assertThat(store.entry(e.id()).orElseThrow().delayWarned()).isTrue();
      assertThat(store.delete(lease)).isTrue();
      assertThat(store.delete(lease)).isFalse();
      assertThat(store.update(lease, e)).isFalse();
      assertThat(store.renew(List.of(lease))).isEmpty();
    }
  }

  @Test
  void aLeaseWriteForAnotherEntryIsRefused() {
    try (QueueStore store = new InMemoryQueueStore()) {
      store.append(entry("m1", BOB), text());
      QueueLease lease = store.claim(T0, 1).get(0);

      assertThatThrownBy(() -> store.update(lease, entry("m2", BOB)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
