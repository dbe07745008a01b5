package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BounceWriterTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  static final Mailbox BOB = Mailbox.of("bob", "example.net");
  static final Mailbox CAROL = Mailbox.of("carol", "example.org");
  static final Content ORIGINAL =
      Content.ofString(
          "From: ana@shop.example\r\n"
              + "To: bob@example.net\r\n"
              + "Subject: Invoice 42\r\n\r\n"
              + "SECRET BODY TEXT\r\n",
          StandardCharsets.UTF_8);

  final BounceWriter writer = new BounceWriter("mta.shop.example");

  static QueueEntry entry() {
    Envelope env =
        Envelope.of(ANA, List.of(BOB, CAROL)).withDsn(DsnOptions.none().withEnvelopeId("env-42"));
    return QueueEntry.ofNew(new QueueId("q1"), env, T0);
  }

  static RecipientState failed(Mailbox who, RecipientResult result, String diagnostic) {
    return RecipientState.pending(who, T0)
        .after(
            result, RecipientState.Status.FAILED, T0.plusSeconds(60), Optional.empty(), diagnostic);
  }

  @Test
  void aReplyMadeUpLocallyIsNotPresentedAsTheWordsOfAnSmtpServer() throws Exception {
    // DirectSender answers a null MX itself: no server said this, so no "smtp;" and no Remote-MTA
    RecipientState bob =
        failed(
            BOB,
            RecipientResult.ofReply(
                BOB, ServerReply.of(550, "5.1.10 domain example.net accepts no mail"), null),
            "550 5.1.10 domain example.net accepts no mail");

    Dsn dsn =
        Dsn.parse(
            writer.write(
                entry(),
                List.of(bob),
                BounceWriter.Action.FAILED,
                ORIGINAL,
                T0.plusSeconds(61),
                Optional.empty()));

    assertThat(dsn.field(0, "Status")).isEqualTo("5.1.10");
    assertThat(dsn.field(0, "Remote-MTA")).isNull();
    assertThat(dsn.field(0, "Diagnostic-Code"))
        .isEqualTo("X-mailcore; 550 5.1.10 domain example.net accepts no mail");
  }

  @Test
  void reportsEachFailedRecipientWithStatusRemoteMtaAndReply() throws Exception {
    RecipientState bob =
        failed(
            BOB,
            RecipientResult.ofReply(
                BOB, ServerReply.of(550, "5.1.1 User unknown"), "mx1.example.net"),
            "550 5.1.1 User unknown");
    RecipientState carol =
        failed(
            CAROL,
            RecipientResult.ofReply(
                CAROL, ServerReply.of(554, "Transaction failed"), "mx.example.org"),
            "554 Transaction failed");

    Dsn dsn =
        Dsn.parse(
            writer.write(
                entry(),
                List.of(bob, carol),
                BounceWriter.Action.FAILED,
                ORIGINAL,
                T0.plusSeconds(61),
                Optional.empty()));

    assertThat(dsn.reportType()).isEqualTo("delivery-status");
    assertThat(dsn.subject()).isEqualTo("Undelivered Mail Returned to Sender");
    assertThat(dsn.message().getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
    assertThat(dsn.perMessage().getHeader("Reporting-MTA", null))
        .isEqualTo("dns; mta.shop.example");
    assertThat(dsn.perMessage().getHeader("Original-Envelope-Id", null)).isEqualTo("env-42");
    assertThat(dsn.perMessage().getHeader("Arrival-Date", null))
        .isEqualTo("Thu, 1 Jan 2026 00:00:00 +0000");
    assertThat(dsn.recipients()).hasSize(2);
    assertThat(dsn.field(0, "Final-Recipient")).isEqualTo("rfc822; bob@example.net");
    assertThat(dsn.field(0, "Status")).isEqualTo("5.1.1");
    assertThat(dsn.field(0, "Remote-MTA")).isEqualTo("dns; mx1.example.net");
    assertThat(dsn.field(0, "Diagnostic-Code")).isEqualTo("smtp; 550 5.1.1 User unknown");
    assertThat(dsn.field(0, "Last-Attempt-Date")).isEqualTo("Thu, 1 Jan 2026 00:01:00 +0000");
    assertThat(dsn.field(1, "Status"))
        .as("no enhanced code: the class of the reply")
        .isEqualTo("5.0.0");
    assertThat(dsn.field(1, "Action")).isEqualTo("failed");
  }

  @Test
  void returnsTheOriginalHeadersButNotItsBody() throws Exception {
    RecipientState bob =
        failed(
            BOB,
            RecipientResult.ofReply(
                BOB, ServerReply.of(550, "5.1.1 User unknown"), "mx1.example.net"),
            "x");
    Dsn dsn =
        Dsn.parse(
            writer.write(
                entry(), List.of(bob), BounceWriter.Action.FAILED, ORIGINAL, T0, Optional.empty()));

    assertThat(dsn.originalHeaders())
        .startsWith("text/rfc822-headers")
        .contains("Subject: Invoice 42")
        .doesNotContain("SECRET BODY TEXT");
  }

  @Test
  void expiredWithoutAnyReplyIsDeliveryTimeExpired() throws Exception {
    RecipientResult refused =
        RecipientResult.ofFailure(BOB, true, "connection refused by mx1.example.net", null);
    RecipientState bob =
        failed(BOB, refused, BounceWriter.EXPIRED_PREFIX + "connection refused by mx1.example.net");

    Dsn dsn =
        Dsn.parse(
            writer.write(
                entry(), List.of(bob), BounceWriter.Action.FAILED, ORIGINAL, T0, Optional.empty()));

    assertThat(dsn.field(0, "Status")).isEqualTo("4.4.7");
    assertThat(dsn.field(0, "Diagnostic-Code"))
        .isEqualTo("X-mailcore; lifetime expired: connection refused by mx1.example.net");
    assertThat(dsn.field(0, "Remote-MTA")).isNull();
  }

  @Test
  void delayWarningSaysDelayedAndUntilWhen() throws Exception {
    RecipientResult r =
        RecipientResult.ofReply(BOB, ServerReply.of(451, "4.7.1 Greylisted"), "mx1.example.net");
    RecipientState bob =
        RecipientState.pending(BOB, T0)
            .after(
                r,
                RecipientState.Status.DEFERRED,
                T0,
                Optional.of(T0.plusSeconds(300)),
                r.diagnostic());

    Dsn dsn =
        Dsn.parse(
            writer.write(
                entry(),
                List.of(bob),
                BounceWriter.Action.DELAYED,
                ORIGINAL,
                T0,
                Optional.of(T0.plus(Duration.ofDays(5)))));

    assertThat(dsn.subject()).isEqualTo("Delayed Mail (still being retried)");
    assertThat(dsn.field(0, "Action")).isEqualTo("delayed");
    assertThat(dsn.field(0, "Status")).isEqualTo("4.7.1");
    assertThat(dsn.field(0, "Will-Retry-Until")).isEqualTo("Tue, 6 Jan 2026 00:00:00 +0000");
    assertThat(dsn.humanText()).contains("keeps trying", "bob@example.net");
  }

  @Test
  void controlCharactersInARemoteReplyCannotBreakTheReport() throws Exception {
    RecipientResult r =
        RecipientResult.ofFailure(BOB, false, "bad\r\nInjected: header", "mx1.example.net");
    RecipientState bob = failed(BOB, r, "bad\r\nInjected: header");

    Dsn dsn =
        Dsn.parse(
            writer.write(
                entry(), List.of(bob), BounceWriter.Action.FAILED, ORIGINAL, T0, Optional.empty()));

    assertThat(dsn.recipients().get(0).getHeader("Injected", null)).isNull();
    assertThat(dsn.field(0, "Diagnostic-Code")).isEqualTo("X-mailcore; bad  Injected: header");
  }
}
