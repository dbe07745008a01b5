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
}
