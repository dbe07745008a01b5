package dev.mailcore.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Attachment;
import dev.mailcore.Content;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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
    assertThat(SourceScan.size(source("a\r\nb"), 100)).as("the CRLF added at the end").isEqualTo(6);
    assertThat(SourceScan.size(source("a\r\nb"), 5)).isEqualTo(6);
  }

  /** Messages that take many bytes per character: wide characters in every place that grows. */
  static Stream<Message> wideMessages() {
    String wide = "中";
    return Stream.of(
        Message.builder().from("ana@shop.example").to("bob@example.org")
            .text(wide.repeat(300_000)).build(),
        Message.builder().from("ana@shop.example")
            .to(Mailbox.of(wide.repeat(12_000), "b", "y.example")).subject(wide.repeat(5_000))
            .html("<p>" + wide.repeat(50_000) + "</p>").build(),
        withAttachments(wide));
  }

  private static Message withAttachments(String wide) {
    Message.Builder b = Message.builder().from("ana@shop.example").to("bob@example.org").text("x");
    for (int i = 0; i < 5; i++) {
      b.attach(Attachment.of(wide.repeat(4_000) + i + ".txt", "text/plain", new byte[0]));
      b.attach(Attachment.of("m" + i + ".eml", "message/rfc822",
          ("Subject: x\n\n" + "a\n".repeat(2_000)).getBytes(StandardCharsets.US_ASCII)));
    }
    return b.build();
  }

  @ParameterizedTest
  @MethodSource("wideMessages")
  void boundsTheRenderedSizeOfAMessageFromAbove(Message m) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    m.writeTo(out);

    assertThat(SourceScan.sizeBound(m).orElseThrow()).isGreaterThanOrEqualTo(out.size());
  }

  @Test
  void passesOnTheSourcesOwnFailure() {
    MessageSource broken = out -> {
      throw new IOException("disk gone");
    };

    assertThatThrownBy(() -> SourceScan.anywhere(broken)).isInstanceOf(IOException.class).hasMessage("disk gone");
  }
}
