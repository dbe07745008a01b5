package dev.mailcore.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SourceScanTest {

  private static MessageSource source(String text) {
    return MessageSource.of(Content.ofString(text, StandardCharsets.UTF_8));
  }

  @Test
  void findsUtf8InTheHeaderSectionOnly() throws IOException {
    assertThat(SourceScan.inHeaders(source("Subject: Olá\r\n\r\nHi\r\n"))).isTrue();
    assertThat(SourceScan.inHeaders(source("Subject: x\r\n\r\nOlá\r\n"))).isFalse();
    assertThat(SourceScan.inHeaders(source("Subject: x\n\nOlá\n"))).isFalse();
    assertThat(SourceScan.anywhere(source("Subject: x\r\n\r\nOlá\r\n"))).isTrue();
    assertThat(SourceScan.anywhere(source("Subject: x\r\n\r\nHi\r\n"))).isFalse();
  }

  @Test
  void stopsWritingOnceTheAnswerIsKnown() throws IOException {
    AtomicInteger writes = new AtomicInteger();
    MessageSource endless = out -> {
      out.write("Subject: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      while (true) {
        writes.incrementAndGet();
        out.write(new byte[1000]);
      }
    };

    assertThat(SourceScan.inHeaders(endless)).isFalse();
    assertThat(writes).hasValue(0);
    assertThat(SourceScan.size(endless, 10_000)).isEqualTo(10_001);
    assertThat(writes.get()).isBetween(1, 12);
  }

  @Test
  void countsTheSizeWithLineEndsAsTheyGoOnTheWire() throws IOException {
    assertThat(SourceScan.size(source("a\r\nb\r\n"), 100)).isEqualTo(6);
    assertThat(SourceScan.size(source("a\nb\n"), 100)).isEqualTo(6);
    assertThat(SourceScan.size(source("a\rb\r"), 100)).isEqualTo(6);
  }

  @Test
  void passesOnTheSourcesOwnFailure() {
    MessageSource broken = out -> {
      throw new IOException("disk gone");
    };

    assertThatThrownBy(() -> SourceScan.anywhere(broken)).isInstanceOf(IOException.class).hasMessage("disk gone");
  }
}
