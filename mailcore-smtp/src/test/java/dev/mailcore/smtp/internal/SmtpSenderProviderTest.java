package dev.mailcore.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailSender;
import dev.mailcore.MailSenders;
import dev.mailcore.Mailbox;
import dev.mailcore.smtp.RenderedMessage;
import dev.mailcore.smtp.SmtpRelay;
import dev.mailcore.smtp.testing.ScriptedSmtpServer;
import dev.mailcore.smtp.testing.TestCertificates;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SmtpSenderProviderTest {
  private static final RenderedMessage MESSAGE = RenderedMessage.of(
      Envelope.of(Mailbox.of("ana", "shop.test"), List.of(Mailbox.of("bob", "example.test"))),
      Content.ofString("Subject: x\r\n\r\nhi\r\n", StandardCharsets.US_ASCII));

  @Test
  void smtpUriRequiresStartTls() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().start();
        MailSender sender = MailSenders.open(URI.create("smtp://127.0.0.1:" + server.port()), Optional.empty())) {
      assertThatThrownBy(() -> ((SmtpRelay) sender).send(MESSAGE))
          .isInstanceOf(MailConnectionException.class)
          .hasMessageContaining("does not offer STARTTLS");
    }
  }

  @Test
  void smtpsUriSpeaksTlsFromTheStartAndChecksTheCertificate() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().implicitTls(TestCertificates.serverContext()).start();
        MailSender sender = MailSenders.open(URI.create("smtps://127.0.0.1:" + server.port()), Optional.empty())) {
      assertThatThrownBy(() -> ((SmtpRelay) sender).send(MESSAGE))
          .isInstanceOf(MailConnectionException.class)
          .hasMessageContaining("TLS handshake with 127.0.0.1 failed");
    }
  }

  @Test
  void rejectsUrisWithoutHost() {
    assertThatThrownBy(() -> new SmtpSenderProvider().open(URI.create("smtp:relay"), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no host");
  }

  @Test
  void handlesBothSchemes() {
    assertThat(new SmtpSenderProvider().schemes()).containsExactlyInAnyOrder("smtp", "smtps");
  }
}
