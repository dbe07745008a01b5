package dev.mailcore.pop3.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BodySpoolTest {
  private static BodySpool.Region append(BodySpool spool, byte[] body) throws IOException {
    BodySpool.Appender a = spool.append();
    // in uneven pieces, so the write buffer fills and drains mid-body
    for (int off = 0; off < body.length; off += 1000) {
      a.write(body, off, Math.min(1000, body.length - off));
    }
    return a.finish();
  }

  private static byte[] read(BodySpool spool, BodySpool.Region r) throws IOException {
    try (InputStream in = spool.open(r)) {
      return in.readAllBytes();
    }
  }

  @Test
  void bodiesReadBackExactlyFromTheirRegions() throws IOException {
    Random random = new Random(7);
    byte[] small = "Subject: a\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] large = new byte[200_000]; // larger than the 64 KiB write buffer
    random.nextBytes(large);
    try (BodySpool spool = new BodySpool()) {
      BodySpool.Region a = append(spool, small);
      BodySpool.Region b = append(spool, large);
      BodySpool.Region c = append(spool, new byte[0]);
      assertThat(read(spool, b)).isEqualTo(large);
      assertThat(read(spool, a)).isEqualTo(small);
      assertThat(read(spool, c)).isEmpty();
      assertThat(b.offset()).isEqualTo(small.length);
    }
  }

  @Test
  void singleByteReadsStopAtTheRegionEnd() throws IOException {
    try (BodySpool spool = new BodySpool()) {
      BodySpool.Region a = append(spool, "ab".getBytes(StandardCharsets.US_ASCII));
      append(spool, "cd".getBytes(StandardCharsets.US_ASCII));
      try (InputStream in = spool.open(a)) {
        assertThat(in.read()).isEqualTo('a');
        assertThat(in.read()).isEqualTo('b');
        assertThat(in.read()).isEqualTo(-1);
      }
    }
  }

  @Test
  void contentCannotBeReadOnceTheSpoolIsClosed() throws IOException {
    BodySpool spool = new BodySpool();
    BodySpool.Region a = append(spool, "body".getBytes(StandardCharsets.US_ASCII));
    InputStream open = spool.open(a);
    spool.close();
    assertThatThrownBy(() -> spool.open(a))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(open::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
  }
}
