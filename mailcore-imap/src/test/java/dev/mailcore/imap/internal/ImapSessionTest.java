package dev.mailcore.imap.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.FolderInfo.Role;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImapSessionTest {

  @Test
  void inboxIsRecognisedByNameWhateverItsCase() {
    assertThat(ImapSession.role("Inbox", new String[0])).contains(Role.INBOX);
  }

  @Test
  void specialUseAttributesCompareIgnoringCase() {
    assertThat(ImapSession.role("Gesendet", new String[] {"\\HasNoChildren", "\\SENT"}))
        .contains(Role.SENT);
  }

  @Test
  void folderWithoutSpecialUseHasNoRole() {
    assertThat(ImapSession.role("Projects", new String[] {"\\HasChildren"})).isEqualTo(Optional.empty());
  }
}
