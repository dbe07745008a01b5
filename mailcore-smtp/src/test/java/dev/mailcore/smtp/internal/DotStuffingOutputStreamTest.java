package dev.mailcore.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DotStuffingOutputStreamTest {

  private static String data(boolean stuff, String... pieces) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DotStuffingOutputStream s = new DotStuffingOutputStream(out, stuff);
    for (String p : pieces) {
      s.write(p.getBytes(StandardCharsets.UTF_8));
    }
    s.finish();
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void stuffsLeadingDotsAndTerminates() throws IOException {
    assertThat(data(true, ".a\r\n..b\r\nc.\r\n")).isEqualTo("..a\r\n...b\r\nc.\r\n.\r\n");
  }

  @Test
  void handlesLineEndsSplitAcrossWrites() throws IOException {
    assertThat(data(true, "a\r", "\n.", "b\r", "x")).isEqualTo("a\r\n..b\r\nx\r\n.\r\n");
  }

  @Test
  void endsAnUnterminatedLastLine() throws IOException {
    assertThat(data(false, "no newline")).isEqualTo("no newline\r\n");
  }

  @Test
  void writesOnlyTheTerminatorForAnEmptyBody() throws IOException {
    assertThat(data(true)).isEqualTo(".\r\n");
  }

  @Test
  void leavesDotsAloneForChunking() throws IOException {
    assertThat(data(false, ".\n.x\r\n")).isEqualTo(".\r\n.x\r\n");
  }

  @Test
  void matchesAByteAtATimeModelForRandomBodiesAndSplits() throws IOException {
    matchesTheModel(new byte[] {'a', 'b', '.', '\r', '\n'}, 60, 8);
  }

  @Test
  void matchesTheModelForLongLinesWithBytesNextToCrAndLfInValue() throws IOException {
    // long runs without a line end go through the eight-bytes-at-a-time scan; 0x0C, 0x0E, 0x8D
    // and 0x8A differ from CR and LF in one bit, where a wrong mask would see a line end
    byte[] letters =
        "abcdefghijklmnopqrstuvwxyz0123456789".repeat(3).getBytes(StandardCharsets.US_ASCII);
    byte[] others = {0x0C, 0x0E, (byte) 0x8D, (byte) 0x8A, '\r', '\n', '.', '\r'};
    byte[] alphabet = java.util.Arrays.copyOf(letters, letters.length + others.length);
    System.arraycopy(others, 0, alphabet, letters.length, others.length);
    matchesTheModel(alphabet, 400, 100);
  }

  private static void matchesTheModel(byte[] alphabet, int maxLength, int maxSplit)
      throws IOException {
    java.util.Random random = new java.util.Random(20261201);
    for (int round = 0; round < 3000; round++) {
      byte[] body = new byte[random.nextInt(maxLength)];
      for (int i = 0; i < body.length; i++) {
        body[i] = alphabet[random.nextInt(alphabet.length)];
      }
      boolean stuff = random.nextBoolean();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      DotStuffingOutputStream s = new DotStuffingOutputStream(out, stuff);
      for (int at = 0; at < body.length; ) {
        int n = Math.min(body.length - at, 1 + random.nextInt(maxSplit));
        s.write(body, at, n);
        at += n;
      }
      s.finish();
      assertThat(out.toString(StandardCharsets.ISO_8859_1))
          .as("body %s, stuffing %s", java.util.Arrays.toString(body), stuff)
          .isEqualTo(model(body, stuff));
    }
  }

  /** RFC 5321 transparency one byte at a time: every line end CRLF, leading dots doubled. */
  private static String model(byte[] body, boolean stuff) {
    StringBuilder out = new StringBuilder();
    boolean lineStart = true;
    for (int i = 0; i < body.length; i++) {
      char c = (char) (body[i] & 0xFF);
      if (c == '\r' || c == '\n') {
        out.append("\r\n");
        lineStart = true;
        if (c == '\r' && i + 1 < body.length && body[i + 1] == '\n') {
          i++; // CRLF is one line end
        }
        continue;
      }
      if (lineStart && c == '.' && stuff) {
        out.append('.');
      }
      lineStart = false;
      out.append(c);
    }
    if (!lineStart) {
      out.append("\r\n");
    }
    return stuff ? out + ".\r\n" : out.toString();
  }
}
