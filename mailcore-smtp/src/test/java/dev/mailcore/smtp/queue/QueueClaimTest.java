package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The claim value, and the default {@link QueueStore#claimDue} single-process stores inherit. */
class QueueClaimTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static QueueEntry entry(String id, Instant created) {
    return QueueEntry.ofNew(
        new QueueId(id),
        Envelope.of(Mailbox.of("ana", "shop.example"), List.of(Mailbox.of("bob", "example.net"))),
        created);
  }

  @Test
  void theLeasesAreCopied() {
    List<QueueLease> leases = new ArrayList<>(List.of(QueueLease.local(entry("m1", T0))));
    QueueClaim claim = new QueueClaim(leases, Optional.empty());

    leases.clear();

    assertThat(claim.leases()).extracting(QueueLease::id).containsExactly(new QueueId("m1"));
    assertThatThrownBy(() -> new QueueClaim(List.of(), null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void theDefaultClaimDueClaimsThenAsksForTheNextDueTime() {
    try (QueueStore store = new InMemoryQueueStore()) {
      store.append(entry("now", T0), Content.ofString("x", StandardCharsets.UTF_8));
      store.append(entry("later", T0.plusSeconds(60)), Content.ofString("y", StandardCharsets.UTF_8));

      QueueClaim claim = store.claimDue(T0, 10);

      assertThat(claim.leases()).extracting(QueueLease::id).containsExactly(new QueueId("now"));
      assertThat(claim.nextDue()).isEqualTo(store.nextDue());
    }
  }
}
