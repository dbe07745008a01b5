package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.testing.ManualClock;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Properties;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MessageTest {
  private static final Mailbox ANA = Mailbox.of("Ana", "ana", "shop.example");
  private static final Mailbox BOB = Mailbox.of("bob", "example.org");

  @Test
  void refusesLineBreakInSubjectNamingTheIndex() {
    assertThatThrownBy(() -> Message.builder().subject("Hello\r\nBcc: victim@example.org"))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("CR")
        .satisfies(e -> assertThat(((MailFormatException) e).index()).hasValue(5));
  }

  @Test
  void refusesLineFeedInHeaderValueNamingTheIndex() {
    assertThatThrownBy(() -> Message.builder().header("X-Tag", "a\nb"))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("LF")
        .satisfies(e -> assertThat(((MailFormatException) e).index()).hasValue(1));
  }

  @Test
  void refusesColonInHeaderNameNamingTheIndex() {
    assertThatThrownBy(() -> Message.builder().header("X:Tag", "v"))
        .isInstanceOf(MailFormatException.class)
        .satisfies(e -> assertThat(((MailFormatException) e).index()).hasValue(1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"From", "bcc", "Content-Type", "MESSAGE-ID", "Date", "MIME-Version"})
  void refusesHeadersTheBuilderManages(String name) {
    assertThat(Message.isReservedHeader(name)).isTrue();
    assertThatThrownBy(() -> Message.builder().header(name, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name);
  }

  @Test
  void acceptsUnmanagedHeaders() {
    assertThat(Message.isReservedHeader("X-Campaign")).isFalse();
    assertThat(Message.builder().header("X-Campaign", "spring").build().headers("x-campaign"))
        .containsExactly("spring");
  }

  @Test
  void fillsMessageIdOnFromDomainAndDateFromClock() {
    ManualClock clock = new ManualClock(Instant.parse("2026-03-01T12:00:00.750Z"));

    Message m = Message.builder().from(Mailbox.of("ana", "bücher.example")).clock(clock).build();

    assertThat(m.messageId()).hasValueSatisfying(id -> assertThat(id).startsWith("<").endsWith("@xn--bcher-kva.example>"));
    assertThat(m.date().map(OffsetDateTime::toInstant)).hasValue(Instant.parse("2026-03-01T12:00:00Z"));
  }

  @Test
  void leavesMessageIdAndDateEmptyWhenFillingIsOff() {
    Message m = Message.builder().fillMissingHeaders(false).build();

    assertThat(m.messageId()).isEmpty();
    assertThat(m.date()).isEmpty();
  }

  @Test
  void refusesSeveralAuthorsWithoutSender() {
    Message.Builder b = Message.builder().from(ANA).from(BOB);

    assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("Sender");
  }

  @Test
  void toBuilderCopiesEveryField() {
    Message m = Message.builder()
        .from(ANA).sender(BOB).replyTo(BOB).to(BOB).cc(ANA).bcc(BOB)
        .subject("s").text("t").html("<p>h</p>")
        .attach("a.bin", "application/octet-stream", new byte[] {1})
        .header("X-A", "1")
        .messageId("x@shop.example")
        .date(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC))
        .build();

    Message copy = m.toBuilder().build();

    assertThat(copy).usingRecursiveComparison().isEqualTo(m);
    assertThat(m.toBuilder().subject("other").build().subject()).hasValue("other");
    assertThat(m.subject()).hasValue("s");
  }

  @Test
  void neverWritesBccButKeepsItForTheEnvelope() throws Exception {
    Message m = Message.builder().from(ANA).to(BOB).bcc(Mailbox.of("hidden", "secret.example")).build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    m.writeTo(out);

    assertThat(m.bcc()).containsExactly(Mailbox.of("hidden", "secret.example"));
    assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("secret.example");
    MimeMessage read = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(out.toByteArray()));
    assertThat(read.getHeader("Bcc")).isNull();
  }

  @Test
  void needsSmtpUtf8OnlyForNonAsciiLocalParts() {
    assertThat(Message.builder().from(Mailbox.of("ana", "bücher.example")).build().needsSmtpUtf8()).isFalse();
    assertThat(Message.builder().from(ANA).cc(Mailbox.of("josé", "x.example")).build().needsSmtpUtf8()).isTrue();
  }
}
