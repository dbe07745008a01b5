package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

  private static Message.Builder message() {
    return Message.builder()
        .clock(java.time.Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
        .from("Ana Lima <ana@shop.example>")
        .subject("Order")
        .text("Hello");
  }

  @Test
  void envelopeOfMessageIncludesBccRecipients() {
    Message m =
        message().to("bob@example.org").cc("carol@example.org").bcc("dave@example.net").build();

    assertThat(Envelope.of(m).recipients())
        .containsExactly(
            Mailbox.parse("bob@example.org"),
            Mailbox.parse("carol@example.org"),
            Mailbox.parse("dave@example.net"));
  }

  @Test
  void envelopeDropsDuplicateRecipientsWhateverTheirNames() {
    Message m =
        message()
            .to("Bob <bob@example.org>, carol@example.org")
            .cc("Robert <bob@EXAMPLE.org>")
            .bcc("carol@example.org")
            .build();

    assertThat(Envelope.of(m).recipients())
        .containsExactly(Mailbox.parse("bob@example.org"), Mailbox.parse("carol@example.org"));
  }

  @Test
  void envelopeDropsDisplayNames() {
    Message m = message().to("Bob <bob@example.org>").build();
    Envelope e = Envelope.of(m);

    assertThat(e.reversePath()).hasValue(Mailbox.parse("ana@shop.example"));
    assertThat(e.recipients()).allSatisfy(r -> assertThat(r.displayName()).isEmpty());
  }

  @Test
  void senderIsReversePathWhenSet() {
    Message m =
        message().sender(Mailbox.parse("Desk <desk@shop.example>")).to("bob@example.org").build();

    assertThat(Envelope.of(m).reversePath()).hasValue(Mailbox.parse("desk@shop.example"));
  }

  @Test
  void groupMembersBecomeRecipients() {
    Message m =
        message().to("Team: a@x.example, B <b@y.example>;").bcc("undisclosed-recipients:;").build();

    assertThat(Envelope.of(m).recipients())
        .containsExactly(Mailbox.parse("a@x.example"), Mailbox.parse("b@y.example"));
  }

  @Test
  void messageWithoutRecipientsHasNoEnvelope() {
    Message m = message().bcc("undisclosed-recipients:;").build();

    assertThatThrownBy(() -> Envelope.of(m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one recipient");
  }

  @Test
  void bounceHasEmptyReversePath() {
    Envelope bounce = Envelope.ofBounce(List.of(Mailbox.parse("ana@shop.example")));

    assertThat(bounce.isBounce()).isTrue();
    assertThat(bounce.reversePath()).isEmpty();
  }

  @Test
  void envelopeWithReversePathIsNoBounce() {
    Envelope e =
        Envelope.of(Mailbox.parse("ana@shop.example"), List.of(Mailbox.parse("b@x.example")));

    assertThat(e.isBounce()).isFalse();
  }

  @Test
  void needsSmtpUtf8WhenAnyAddressHasUtf8LocalPart() {
    Envelope ascii =
        new Envelope(
            Optional.of(Mailbox.parse("ana@bücher.example")),
            List.of(Mailbox.parse("bob@example.org")),
            DsnOptions.none());

    assertThat(ascii.needsSmtpUtf8()).isFalse();
    assertThat(ascii.withRecipients(List.of(Mailbox.parse("用户@例子.广告"))).needsSmtpUtf8()).isTrue();
  }

  @Test
  void recipientsAreUnmodifiable() {
    Envelope e = Envelope.ofBounce(List.of(Mailbox.parse("a@x.example")));

    assertThatThrownBy(() -> e.recipients().add(Mailbox.parse("b@x.example")))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void namesTheNullRecipientList() {
    assertThatThrownBy(() -> new Envelope(Optional.empty(), null, DsnOptions.none()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("recipients");
  }
}
