package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CrlfInputStreamTest {

  private static InputStream over(String s) {
    return new CrlfInputStream(new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void bareLfBecomesCrlfAndCrlfStays() throws IOException {
    assertThat(new String(over("a\nb\r\nc\rd\n").readAllBytes(), StandardCharsets.US_ASCII))
        .isEqualTo("a\r\nb\r\nc\rd\r\n");
  }

  @Test
  void smallReadsGiveTheSameBytes() throws IOException {
    InputStream in = over("\n\nx\r\n\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] one = new byte[1];
    int n;
    while ((n = in.read(one, 0, 1)) >= 0) {
      out.write(one, 0, n);
    }

    assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("\r\n\r\nx\r\n\r\n");
  }

  @Test
  void singleByteReadsGiveTheSameBytes() throws IOException {
    InputStream in = over("a\nb");
    StringBuilder out = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0) {
      out.append((char) b);
    }

    assertThat(out.toString()).isEqualTo("a\r\nb");
  }
}
