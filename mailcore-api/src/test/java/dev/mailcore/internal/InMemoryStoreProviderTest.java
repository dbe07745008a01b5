package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Credentials;
import dev.mailcore.Folder;
import dev.mailcore.MailStore;
import dev.mailcore.MailStores;
import dev.mailcore.StoreCapability;
import dev.mailcore.testing.InMemoryMailStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class InMemoryStoreProviderTest {
  private static final Credentials ANY = Credentials.password("ana", "ignored");

  private static MailStore open(String uri) {
    return MailStores.open(URI.create(uri), ANY);
  }

  @Test
  void memorySchemeOpensAnEmptyStoreWithEveryCapability() {
    try (MailStore store = open("memory://test")) {
      assertThat(store).isInstanceOf(InMemoryMailStore.class);
      assertThat(store.capabilities()).isEqualTo(EnumSet.allOf(StoreCapability.class));
      try (Folder inbox = store.inbox()) {
        assertThat(inbox.messageCount()).isZero();
      }
    }
  }

  @Test
  void eachOpenIsANewStore() {
    try (MailStore a = open("memory://shared");
        MailStore b = open("memory://shared")) {
      ((InMemoryMailStore) a)
          .deliver(MailStore.INBOX, "Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII));
      try (Folder inbox = b.inbox()) {
        assertThat(inbox.messageCount()).isZero();
      }
    }
  }

  @Test
  void capabilitiesComeFromTheQuery() {
    try (MailStore store = open("memory://test?capabilities=flags,SEARCH")) {
      assertThat(store.capabilities())
          .containsExactlyInAnyOrder(StoreCapability.FLAGS, StoreCapability.SEARCH);
    }
    try (MailStore store = open("memory:test?capabilities=")) {
      assertThat(store.capabilities()).isEmpty();
    }
  }

  @Test
  void unknownCapabilityIsRefused() {
    assertThatThrownBy(() -> open("memory:test?capabilities=FLAGS,TELEPATHY"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TELEPATHY");
  }

  @Test
  void unknownParameterIsRefused() {
    assertThatThrownBy(() -> open("memory://x?colour=blue"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("colour");
  }
}
