package dev.mailcore.pop3.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.MailProtocolException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyReaderTest {
  private static ReplyReader reader(String wire) {
    return new ReplyReader(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)));
  }

  /** The wire bytes delivered one byte per read, so every buffer boundary is crossed. */
  private static ReplyReader trickling(String wire) {
    byte[] b = wire.getBytes(StandardCharsets.ISO_8859_1);
    InputStream one =
        new InputStream() {
          private int i;

          @Override
          public int read() {
            return i < b.length ? b[i++] & 0xff : -1;
          }

          @Override
          public int read(byte[] buf, int off, int len) {
            int c = read();
            if (c < 0) {
              return -1;
            }
            buf[off] = (byte) c;
            return 1;
          }
        };
    return new ReplyReader(one);
  }

  private static String body(ReplyReader r, long budget) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    r.body(out, budget, "RETR 1");
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void readsPositiveAndNegativeStatusLines() throws IOException {
    ReplyReader r = reader("+OK 2 messages\r\n-ERR [IN-USE] locked\r\n+OK\r\n");
    assertThat(r.status("STAT")).isEqualTo(new ReplyReader.Status(true, "2 messages"));
    assertThat(r.status("PASS")).isEqualTo(new ReplyReader.Status(false, "[IN-USE] locked"));
    assertThat(r.status("NOOP")).isEqualTo(new ReplyReader.Status(true, ""));
  }

  @Test
  void statusThatIsNeitherOkNorErrIsAProtocolError() {
    assertThatThrownBy(() -> reader("+OKAY\r\n").status("RETR 3"))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("RETR 3")
        .hasMessageContaining("+OKAY");
  }

  @Test
  void overlongStatusLineIsAProtocolError() {
    String line = "+OK " + "x".repeat(ReplyReader.MAX_STATUS_LINE) + "\r\n";
    assertThatThrownBy(() -> reader(line).status("STAT"))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("line of more than");
  }

  @Test
  void bodyIsDotUnstuffedAndEndsAtTheDotLine() throws IOException {
    ReplyReader r = reader("Subject: a\r\n\r\n..leading dot\r\n.\r\n+OK next\r\n");
    assertThat(body(r, 1000)).isEqualTo("Subject: a\r\n\r\n.leading dot\r\n");
    assertThat(r.status("NOOP").ok()).isTrue();
  }

  @Test
  void bodyAcrossOneByteReadsIsTheSame() throws IOException {
    String wire = "a\r\n..b\r\n...\r\nc\n.\n+OK\r\n";
    assertThat(body(trickling(wire), 1000)).isEqualTo("a\r\n.b\r\n..\r\nc\n");
  }

  @Test
  void bareLineFeedsAreAcceptedAndKept() throws IOException {
    assertThat(body(reader("one\ntwo\n.\n"), 1000)).isEqualTo("one\ntwo\n");
  }

  @Test
  void emptyBodyIsJustTheDotLine() throws IOException {
    assertThat(body(reader(".\r\n"), 1000)).isEmpty();
  }

  @Test
  void bodyOverItsBudgetIsAProtocolError() {
    String wire = "line\r\n".repeat(100) + ".\r\n";
    assertThatThrownBy(() -> body(reader(wire), 300))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("RETR 1")
        .hasMessageContaining("terminating dot line");
  }

  @Test
  void endlessLineIsAProtocolErrorAtTheLineLimit() {
    // more than MAX_LINE bytes without LF, then a dot line that comes too late
    InputStream endless =
        new SequenceInputStream(
            Collections.enumeration(
                List.of(
                    new ByteArrayInputStream(new byte[ReplyReader.MAX_LINE + 10]),
                    new ByteArrayInputStream(".\r\n".getBytes(StandardCharsets.US_ASCII)))));
    assertThatThrownBy(() -> body(new ReplyReader(endless), Long.MAX_VALUE))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("line of more than");
  }

  @Test
  void connectionEndingInsideABodyIsAnEndOfStream() {
    assertThatThrownBy(() -> body(reader("half a message\r\nand"), 1000))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("RETR 1");
  }

  /** Hands out one line of {@code lines} per read, each after {@code gapMillis}. */
  private static ReplyReader slow(List<String> lines, long gapMillis, java.time.Duration timeout) {
    java.util.Iterator<String> it = lines.iterator();
    InputStream paced =
        new InputStream() {
          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] buf, int off, int len) throws IOException {
            if (!it.hasNext()) {
              return -1;
            }
            try {
              Thread.sleep(gapMillis);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new java.io.InterruptedIOException();
            }
            byte[] b = it.next().getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(b, 0, buf, off, b.length);
            return b.length;
          }
        };
    return new ReplyReader(paced, timeout);
  }

  @Test
  void bodyTrickledALineAtATimeTimesOutThoughEveryReadIsQuick() throws IOException {
    List<String> lines = new java.util.ArrayList<>();
    lines.add("+OK\r\n");
    for (int i = 0; i < 200; i++) {
      lines.add("x\r\n");
    }
    ReplyReader r = slow(lines, 20, java.time.Duration.ofMillis(200));
    assertThat(r.status("RETR 1").ok()).isTrue();
    assertThatThrownBy(() -> body(r, Long.MAX_VALUE))
        .isInstanceOf(java.net.SocketTimeoutException.class)
        .hasMessageContaining("RETR 1");
  }

  @Test
  void aSlowFirstByteOfEachReplyIsNotCounted() throws IOException {
    // each reply comes whole after 150 ms: slow to answer, but within the 200 ms time-out
    ReplyReader r =
        slow(List.of("+OK 1\r\n", "+OK 2\r\n", "+OK 3\r\n"), 150, java.time.Duration.ofMillis(200));
    assertThat(List.of(r.status("NOOP").text(), r.status("NOOP").text(), r.status("NOOP").text()))
        .containsExactly("1", "2", "3");
  }
}
