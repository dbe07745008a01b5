package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.testing.InMemoryMailStore;
import java.net.URI;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MailStoresTest {
  private static final Credentials ANA = Credentials.password("ana", "secret");

  @BeforeEach
  void forgetEarlierLookups() {
    RecordingStoreProvider.OPENED.clear();
  }

  @Test
  void opensThroughTheProviderRegisteredForTheScheme() {
    URI uri = URI.create("recording://mail.example.org:1993/?folder=Sent");
    try (MailStore store = MailStores.open(uri, ANA)) {
      assertThat(store).isInstanceOf(InMemoryMailStore.class);
    }
    assertThat(RecordingStoreProvider.OPENED).hasSize(1);
    assertThat(RecordingStoreProvider.OPENED.get(0)).containsExactly(uri, ANA);
  }

  @Test
  void findsEachSchemeOfAProvider() {
    MailStores.open(URI.create("recordings://mail.example.org"), ANA).close();
    assertThat(RecordingStoreProvider.OPENED).hasSize(1);
  }

  @Test
  void schemeIgnoresCase() {
    MailStores.open(URI.create("RECORDING://mail.example.org"), ANA).close();
    assertThat(RecordingStoreProvider.OPENED).hasSize(1);
  }

  @Test
  void missingImapModuleIsNamed() {
    assertThatThrownBy(() -> MailStores.open(URI.create("imaps://mail.example.org"), ANA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dev.mailcore:mailcore-imap");
  }

  @Test
  void missingPop3ModuleIsNamed() {
    assertThatThrownBy(() -> MailStores.open(URI.create("pop3://mail.example.org"), ANA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dev.mailcore:mailcore-pop3");
  }

  @Test
  void unknownSchemeListsTheKnownOnes() {
    assertThatThrownBy(() -> MailStores.open(URI.create("gopher://mail.example.org"), ANA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'gopher'")
        .hasMessageContaining("imaps")
        .hasMessageContaining("pop3s");
  }

  @Test
  void uriWithoutSchemeIsRefused() {
    assertThatThrownBy(() -> MailStores.open(URI.create("mail.example.org"), ANA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no scheme");
  }

  @Test
  void nullArgumentsAreRefusedByName() {
    assertThatThrownBy(() -> MailStores.open(null, ANA)).hasMessage("uri");
    assertThatThrownBy(() -> MailStores.open(URI.create("memory://test"), null))
        .hasMessage("credentials");
  }
}
