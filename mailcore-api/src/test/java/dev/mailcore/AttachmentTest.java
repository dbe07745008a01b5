package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AttachmentTest {
  private static final Content BYTES = Content.ofBytes(new byte[] {1, 2, 3});

  @Test
  void refusesContentTypesThatWouldAddParametersOrBreakTheField() {
    assertThatThrownBy(() -> Attachment.of("a.txt", "text/plain\"; boundary=zz", BYTES))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("type/subtype");
    assertThatThrownBy(() -> Attachment.of("a.txt", "text/plain; name=\"open", BYTES))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("unclosed");
  }

  @Test
  void refusesContentIdsWithWhiteSpace() {
    assertThatThrownBy(() -> Attachment.inline("logo\t1", "image/png", BYTES))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("Content-ID contains control character (U+0009)");
    assertThatThrownBy(() -> Attachment.inline("", "image/png", BYTES))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("Content-ID is empty");
  }

  @Test
  void keepsValidDescriptions() {
    Attachment a = new Attachment(Optional.of("r\u00e9sum\u00e9.pdf"), "application/pdf; x-mac-type=\"PDF \"",
        true, Optional.of("part1@shop.example"), BYTES);

    assertThat(a.contentType()).isEqualTo("application/pdf; x-mac-type=\"PDF \"");
    assertThat(a.contentId()).hasValue("part1@shop.example");
  }

  @Test
  void refusesAPathWithoutFileName() {
    Path root = Path.of("/");

    assertThatThrownBy(() -> Attachment.of(root))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no file name");
    assertThatThrownBy(() -> Attachment.of((Path) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("file");
  }
}
