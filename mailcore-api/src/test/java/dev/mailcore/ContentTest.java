package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ContentTest {

  @Test
  void namesTheNullArgumentOfOfString() {
    assertThatThrownBy(() -> Content.ofString(null, StandardCharsets.UTF_8))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("text");
    assertThatThrownBy(() -> Content.ofString("x", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("charset");
  }

  @Test
  void refusesSizesBelowUnknown() {
    assertThatThrownBy(() -> Content.ofSource(() -> null, -2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-2");
    assertThat(Content.ofSource(() -> null, -1).size()).isEmpty();
  }

  @Test
  void reportsASourceThatReturnsNoStreamAsAnIoFailure() {
    Content content = Content.ofSource(() -> null, -1);
    Message m = Message.builder().from("ana@shop.example")
        .attach(Attachment.of("a.bin", "application/octet-stream", content)).build();

    assertThatThrownBy(content::open)
        .isInstanceOf(UncheckedIOException.class)
        .hasRootCauseMessage("the content source returned no stream");
    assertThatThrownBy(() -> m.writeTo(new ByteArrayOutputStream()))
        .isInstanceOf(UncheckedIOException.class)
        .hasRootCauseMessage("the content source returned no stream");
  }

  @Test
  void comparesInMemoryContentByBytes() {
    Content a = Content.ofBytes("abc".getBytes(StandardCharsets.US_ASCII));
    Content b = Content.ofString("abc", StandardCharsets.US_ASCII);

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(Content.ofBytes(new byte[] {1}));
  }
}
