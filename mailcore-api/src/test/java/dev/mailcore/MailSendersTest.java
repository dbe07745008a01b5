package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.testing.FakeMailSender;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MailSendersTest {
  private static final Credentials ANA = Credentials.password("ana", "secret");

  @BeforeEach
  void forgetEarlierLookups() {
    RecordingSenderProvider.OPENED.clear();
  }

  @Test
  void opensThroughTheProviderWithCredentials() {
    URI uri = URI.create("recording://relay.example.org:587");
    try (MailSender sender = MailSenders.open(uri, ANA)) {
      assertThat(sender).isInstanceOf(FakeMailSender.class);
    }
    assertThat(RecordingSenderProvider.OPENED).hasSize(1);
    assertThat(RecordingSenderProvider.OPENED.get(0)).containsExactly(uri, Optional.of(ANA));
  }

  @Test
  void opensWithoutCredentials() {
    MailSenders.open(URI.create("recording://relay.example.org"), Optional.empty()).close();
    assertThat(RecordingSenderProvider.OPENED.get(0)[1]).isEqualTo(Optional.empty());
  }

  @Test
  void missingSmtpModuleIsNamed() {
    assertThatThrownBy(() -> MailSenders.open(URI.create("smtps://relay.example.org"), ANA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dev.mailcore:mailcore-smtp");
  }

  @Test
  void storeSchemeIsNoSenderScheme() {
    assertThatThrownBy(() -> MailSenders.open(URI.create("memory://test"), ANA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MailSenderProvider")
        .hasMessageContaining("'memory'");
  }

  @Test
  void nullCredentialsAreRefusedByName() {
    assertThatThrownBy(() -> MailSenders.open(URI.create("recording://x"), (Credentials) null))
        .hasMessage("credentials");
    assertThatThrownBy(
            () -> MailSenders.open(URI.create("recording://x"), (Optional<Credentials>) null))
        .hasMessage("credentials");
  }
}
