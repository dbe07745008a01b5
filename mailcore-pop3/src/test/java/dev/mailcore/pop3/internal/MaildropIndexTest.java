package dev.mailcore.pop3.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MaildropIndexTest {

  @Test
  void uniqueUidlsAreTheIds() {
    assertThat(MaildropIndex.distinct(List.of("a", "b", "c"))).containsExactly("a", "b", "c");
  }

  @Test
  void laterCopiesOfAUidlAreNumberedInMaildropOrder() {
    assertThat(MaildropIndex.distinct(List.of("x", "a", "x", "x")))
        .containsExactly("x", "a", "x~2", "x~3");
  }

  @Test
  void aNumberedIdNeverClashesWithARealUidl() {
    assertThat(MaildropIndex.distinct(List.of("x", "x", "x~2")))
        .doesNotHaveDuplicates()
        .containsExactly("x", "x~2", "x~2~2");
  }
}
