package dev.mailcore.pop3.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.MailFormatException;
import dev.mailcore.SyncState;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class UidlSyncStateTest {

  @Test
  void roundTripsTheUidlSet() {
    Set<String> uidls = Set.of("AAA-1", "zz_9", "0001");
    SyncState state = UidlSyncState.encode(uidls);
    assertThat(state.encoded()).startsWith("pop3:");
    assertThat(UidlSyncState.parse(SyncState.parse(state.encoded()))).containsExactlyInAnyOrderElementsOf(uidls);
  }

  @Test
  void tenThousandUidlsStayOneCompactLine() {
    Set<String> uidls = new TreeSet<>();
    for (int i = 0; i < 10_000; i++) {
      uidls.add(String.format("%08x.%d.mail.example", 0x5f000000 + i, 1700000000 + i));
    }
    String encoded = UidlSyncState.encode(uidls).encoded();
    int raw = uidls.stream().mapToInt(u -> u.length() + 1).sum();
    assertThat(encoded).doesNotContain("\n", "\r");
    assertThat(encoded.length()).isLessThan(raw / 4);
    assertThat(UidlSyncState.parse(SyncState.parse(encoded))).isEqualTo(uidls);
  }

  @Test
  void initialStateIsTheEmptySet() {
    assertThat(UidlSyncState.parse(SyncState.initial())).isEmpty();
  }

  @Test
  void rejectsStatesOfOtherStores() {
    assertThatThrownBy(() -> UidlSyncState.parse(SyncState.parse("imap:1:2")))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("not a POP3 sync state");
  }

  @Test
  void rejectsCorruptStates() {
    assertThatThrownBy(() -> UidlSyncState.parse(SyncState.parse("pop3:!!!")))
        .isInstanceOf(MailFormatException.class);
    assertThatThrownBy(() -> UidlSyncState.parse(SyncState.parse("pop3:AAAAAAAA")))
        .isInstanceOf(MailFormatException.class);
  }
}
