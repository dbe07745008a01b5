package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlagTest {

  @ParameterizedTest
  @ValueSource(strings = {"\\Seen)\r\nA1 DELETE INBOX", "\\Seen Deleted", "\\", "\\(x", "$Bad\nLine", ""})
  void refusesNamesThatAreNoImapAtom(String name) {
    assertThatThrownBy(() -> Flag.of(name)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void namesTheNullArgument() {
    assertThatThrownBy(() -> Flag.of(null)).isInstanceOf(NullPointerException.class).hasMessage("name");
  }

  @Test
  void readsSystemFlagsIgnoringCaseAndKeepsOtherSystemNames() {
    assertThat(Flag.of("\\SEEN")).isSameAs(Flag.SEEN);
    assertThat(Flag.of("\\Recent").isSystem()).isTrue();
    assertThat(Flag.of("\\Recent")).isEqualTo(Flag.of("\\recent")).hasSameHashCodeAs(Flag.of("\\RECENT"));
    assertThat(Flag.of("\\*").name()).isEqualTo("\\*");
  }

  @Test
  void comparesKeywordsExactly() {
    assertThat(Flag.of("$Important")).isEqualTo(Flag.keyword("$Important"));
    assertThat(Flag.of("$Important")).isNotEqualTo(Flag.keyword("$important"));
    assertThat(Flag.keyword("Seen")).isNotEqualTo(Flag.SEEN);
    assertThat(Flag.SEEN).isNotEqualTo(Flag.keyword("Seen"));
  }
}
