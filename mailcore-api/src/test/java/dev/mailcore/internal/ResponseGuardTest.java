package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponseGuardTest {

  private static byte[] readAll(String text, boolean imap, long maxLine, long maxLiteral)
      throws IOException {
    InputStream in = new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
    try (ResponseGuard g = new ResponseGuard(in, imap, maxLine, maxLiteral)) {
      return g.readAllBytes();
    }
  }

  @Test
  void passesWellFramedResponsesUnchanged() throws IOException {
    String r = "* 1 FETCH (BODY[] {5}\r\nhello)\r\nA1 OK done\r\n";
    assertThat(new String(readAll(r, true, 100, 100), StandardCharsets.ISO_8859_1)).isEqualTo(r);
  }

  @Test
  void failsALineLongerThanTheLimit() {
    assertThatThrownBy(() -> readAll("+OK " + "x".repeat(200), false, 100, 100))
        .isInstanceOf(ResponseGuard.LimitExceededException.class)
        .hasMessageContaining("line");
  }

  @Test
  void literalContentIsNotCountedAsALine() throws IOException {
    String body = "y".repeat(500);
    String r = "* 1 FETCH (BODY[] {500}\r\n" + body + ")\r\n";
    assertThat(readAll(r, true, 100, 1000)).hasSize(r.length());
  }

  @Test
  void literalContentThatLooksLikeALiteralIsNotParsed() throws IOException {
    String body = "see {99999999999}\r\n";
    String r = "* 1 FETCH (BODY[] {" + body.length() + "}\r\n" + body + ")\r\n";
    assertThat(readAll(r, true, 100, 1000)).hasSize(r.length());
  }

  @Test
  void failsALiteralAnnouncedAboveTheLimit() {
    assertThatThrownBy(() -> readAll("* LIST () \"/\" {2000000000}\r\n", true, 100, 1000))
        .isInstanceOf(ResponseGuard.LimitExceededException.class)
        .hasMessageContaining("2000000000");
  }

  @Test
  void failsALiteralWithAbsurdlyManyDigits() {
    assertThatThrownBy(() -> readAll("* 1 FETCH (BODY[] {99999999999999999999999}\r\n", true, 100, 1000))
        .isInstanceOf(IOException.class);
  }

  @Test
  void popIgnoresBraces() throws IOException {
    String r = "+OK {99999999999}\r\n";
    assertThat(readAll(r, false, 100, 10)).hasSize(r.length());
  }

  @Test
  void aLiteralReadInPiecesOfAnySizeEndsWhereItWasAnnounced() throws IOException {
    String body = "z".repeat(700);
    String ok = "* 1 FETCH (BODY[] {700}\r\n" + body + ")\r\n";
    String tooLong = ok + "* 2 " + "x".repeat(200) + "\r\n";
    for (int piece : new int[] {1, 7, 64, 699, 700, 701, 4096}) {
      assertThat(readInPieces(ok, piece)).as("pieces of %d", piece).hasSize(ok.length());
      // the literal's end is found at the same byte, so the long line after it is still caught
      assertThatThrownBy(() -> readInPieces(tooLong, piece))
          .as("pieces of %d", piece)
          .isInstanceOf(ResponseGuard.LimitExceededException.class)
          .hasMessageContaining("line");
    }
  }

  private static byte[] readInPieces(String text, int piece) throws IOException {
    InputStream in = new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
    try (ResponseGuard g = new ResponseGuard(in, true, 100, 1000)) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[piece];
      for (int n; (n = g.read(buf, 0, buf.length)) > 0; ) {
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    }
  }

  /** Hands out {@code text} one byte a read, each after {@code gap}; the first after {@code first}. */
  private static InputStream trickle(String text, long firstMillis, long gapMillis) {
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    return new InputStream() {
      private int next;

      @Override
      public int read() throws IOException {
        if (next >= bytes.length) {
          return -1;
        }
        try {
          Thread.sleep(next == 0 ? firstMillis : gapMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException();
        }
        return bytes[next++] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int c = read();
        if (c < 0) {
          return -1;
        }
        b[off] = (byte) c;
        return 1;
      }
    };
  }

  @Test
  void failsALineTrickledSlowerThanTheReadTimeOut() {
    // every read returns within the socket time-out, but the line takes 40 x 20 ms
    InputStream in = trickle("* LIST () \"/\" " + "x".repeat(40) + "\r\n", 0, 20);
    assertThatThrownBy(
            () -> {
              try (ResponseGuard g =
                  new ResponseGuard(in, true, 1000, 1000, java.time.Duration.ofMillis(200))) {
                g.readAllBytes();
              }
            })
        .isInstanceOf(java.net.SocketTimeoutException.class)
        .hasMessageContaining("timed out");
  }

  @Test
  void waitingForTheFirstByteOfALineIsTheSocketsBusiness() throws IOException {
    // an IDLE that waits 300 ms for the server's next line is not a slow line
    String r = "* 2 EXISTS\r\n";
    try (ResponseGuard g =
        new ResponseGuard(trickle(r, 300, 0), true, 1000, 1000, java.time.Duration.ofMillis(200))) {
      assertThat(g.readAllBytes()).hasSize(r.length());
    }
  }
}
