package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.MailFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderBlockTest {

  private static InputStream stream(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsFoldedFieldsAndLeavesTheStreamAtTheBody() throws IOException {
    InputStream in = stream("From: a@x.example\r\nSubject: one\r\n two\r\n\r\nbody\r\n");

    HeaderBlock block = HeaderBlock.read(in);

    assertThat(block.fields())
        .extracting(HeaderField::raw)
        .containsExactly("From: a@x.example\r\n", "Subject: one\r\n two\r\n");
    assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("body\r\n");
  }

  @Test
  void bareLfLinesAreStoredWithCrlf() throws IOException {
    HeaderBlock block = HeaderBlock.read(stream("From: a@x.example\nTo: b@y.example\n\nbody"));

    assertThat(block.fields()).extracting(HeaderField::raw).containsExactly("From: a@x.example\r\n", "To: b@y.example\r\n");
  }

  @Test
  void rawUtf8BytesPassThroughUnchanged() throws IOException {
    byte[] utf8 = "Subject: Olá ✔\r\n\r\n".getBytes(StandardCharsets.UTF_8);

    HeaderBlock block = HeaderBlock.read(new ByteArrayInputStream(utf8));

    assertThat(block.fields().get(0).raw().getBytes(StandardCharsets.ISO_8859_1))
        .isEqualTo("Subject: Olá ✔\r\n".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void countsFieldsIgnoringCase() throws IOException {
    HeaderBlock block = HeaderBlock.read(stream("To: a@x.example\r\nto: b@x.example\r\n\r\n"));

    assertThat(block.count("TO")).isEqualTo(2);
    assertThat(block.count("Cc")).isZero();
  }

  @Test
  void continuationLineFirstIsRejected() {
    assertThatThrownBy(() -> HeaderBlock.read(stream(" folded: x\r\n\r\n")))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("continuation");
  }

  @Test
  void oversizedHeaderBlockIsRejected() {
    String huge = "X-Big: " + "a".repeat(HeaderBlock.MAX_BYTES) + "\r\n\r\n";

    assertThatThrownBy(() -> HeaderBlock.read(stream(huge)))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("larger than");
  }
}
