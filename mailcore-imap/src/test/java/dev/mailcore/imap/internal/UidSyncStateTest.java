package dev.mailcore.imap.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.MailFormatException;
import dev.mailcore.SyncState;
import org.junit.jupiter.api.Test;

class UidSyncStateTest {

  @Test
  void encodesUidValidityAndLastUid() {
    assertThat(new UidSyncState(1700000000L, 42).encode().encoded()).isEqualTo("imap:1700000000:42");
  }

  @Test
  void parsesWhatItEncodes() {
    UidSyncState s = UidSyncState.parse(SyncState.parse("imap:4294967295:4294967294"));
    assertThat(s.uidValidity()).isEqualTo(4294967295L);
    assertThat(s.lastUid()).isEqualTo(4294967294L);
    assertThat(s.isInitial()).isFalse();
  }

  @Test
  void initialStateHasNoUidValidity() {
    assertThat(UidSyncState.parse(SyncState.initial()).isInitial()).isTrue();
  }

  @Test
  void rejectsOtherStoresAndBadNumbers() {
    assertThatThrownBy(() -> UidSyncState.parse(SyncState.parse("pop3:abc")))
        .isInstanceOf(MailFormatException.class);
    assertThatThrownBy(() -> UidSyncState.parse(SyncState.parse("imap:12")))
        .isInstanceOf(MailFormatException.class);
    assertThatThrownBy(() -> UidSyncState.parse(SyncState.parse("imap:12:x")))
        .isInstanceOf(MailFormatException.class)
        .satisfies(e -> assertThat(((MailFormatException) e).index()).hasValue(8));
    assertThatThrownBy(() -> UidSyncState.parse(SyncState.parse("imap:1:99999999999999999999")))
        .isInstanceOf(MailFormatException.class);
  }
}
