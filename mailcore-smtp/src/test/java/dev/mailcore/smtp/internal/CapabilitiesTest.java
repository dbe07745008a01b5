package dev.mailcore.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.ServerReply;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {

  private static Capabilities fixture(String name) throws Exception {
    try (InputStream in = CapabilitiesTest.class.getResourceAsStream("/smtp/" + name)) {
      ServerReply reply = new ReplyReader(ms -> {}, in, 2048, 100).read(Duration.ofSeconds(1));
      return Capabilities.parse(reply);
    }
  }

  @Test
  void readsPostfixExtensions() throws Exception {
    Capabilities caps = fixture("postfix-ehlo-dsn.txt");

    assertThat(caps.keywords()).contains("PIPELINING", "CHUNKING", "8BITMIME", "SMTPUTF8", "DSN",
        "ENHANCEDSTATUSCODES", "STARTTLS");
    assertThat(caps.maxSize()).hasValue(10240000);
    assertThat(caps.authMechanisms()).containsExactlyInAnyOrder("PLAIN", "LOGIN");
  }

  @Test
  void readsExchangeMechanismsCaseInsensitively() throws Exception {
    Capabilities caps = fixture("exchange-ehlo-xoauth2.txt");

    assertThat(caps.hasAuth("xoauth2")).isTrue();
    assertThat(caps.has("binarymime")).isTrue();
    assertThat(caps.has("STARTTLS")).isFalse();
  }

  @Test
  void sizeZeroMeansNoFixedLimit() {
    Capabilities caps = Capabilities.parse(new ServerReply(250, Optional.empty(), List.of("host", "SIZE 0")));

    assertThat(caps.has("SIZE")).isTrue();
    assertThat(caps.maxSize()).isEmpty();
  }
}
