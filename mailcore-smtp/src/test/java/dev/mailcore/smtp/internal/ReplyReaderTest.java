package dev.mailcore.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.EnhancedStatus;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailProtocolException;
import dev.mailcore.ServerReply;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReplyReaderTest {

  private static ReplyReader reader(String wire) {
    return new ReplyReader(ms -> {}, new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8)), 2048, 100);
  }

  @Test
  void parsesAMultiLineReplyWithEnhancedStatus() throws Exception {
    ServerReply reply = reader("550-5.1.1 No such user\r\n550 5.1.1 Try another\r\n").read(Duration.ofSeconds(1));

    assertThat(reply.code()).isEqualTo(550);
    assertThat(reply.status()).contains(new EnhancedStatus(5, 1, 1));
    assertThat(reply.lines()).containsExactly("No such user", "Try another");
  }

  @Test
  void readsPipelinedRepliesOneAtATime() throws Exception {
    ReplyReader reader = reader("250 2.1.0 Ok\r\n452 4.2.2 Full\r\n354 Go\r\n");

    assertThat(reader.read(Duration.ofSeconds(1)).code()).isEqualTo(250);
    assertThat(reader.read(Duration.ofSeconds(1)).code()).isEqualTo(452);
    assertThat(reader.hasBufferedInput()).isTrue();
    assertThat(reader.read(Duration.ofSeconds(1)).status()).isEmpty();
  }

  @Test
  void acceptsABareCodeAndBareLineFeeds() throws Exception {
    ServerReply reply = reader("250\n").read(Duration.ofSeconds(1));

    assertThat(reply.code()).isEqualTo(250);
    assertThat(reply.text()).isEmpty();
  }

  @Test
  void rejectsAChangeOfCodeWithinAReply() {
    assertThatThrownBy(() -> reader("250-a\r\n251 b\r\n").read(Duration.ofSeconds(1)))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("changes code");
  }

  @Test
  void rejectsCodesOutsideTheRange() {
    assertThatThrownBy(() -> reader("999 what\r\n").read(Duration.ofSeconds(1)))
        .isInstanceOf(MailProtocolException.class);
  }

  @Test
  void endOfStreamIsAConnectionFailure() {
    assertThatThrownBy(() -> reader("250-half").read(Duration.ofSeconds(1)))
        .isInstanceOf(MailConnectionException.class)
        .hasMessageContaining("closed");
  }
}
