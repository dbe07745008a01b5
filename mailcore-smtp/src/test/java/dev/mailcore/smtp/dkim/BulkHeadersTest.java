package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.Header;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.format.DateTimeFormatter;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BulkHeadersTest {
  private static final URI MAILTO = URI.create("mailto:unsub@shop.example?subject=u-42");
  private static final URI HTTPS = URI.create("https://shop.example/unsub/u-42");

  private static Message newsletter(BulkHeaders bulk) {
    return bulk.applyTo(
            Message.builder()
                .from(Mailbox.of("News", "news", "shop.example"))
                .to(Mailbox.of("bob", "example.org"))
                .subject("December offers")
                .text("Hello"))
        .build();
  }

  /** Writes the message's header fields and a body, as a renderer would, for the signer. */
  private static String render(Message m) {
    StringBuilder s = new StringBuilder();
    s.append("From: ").append(m.from().get(0)).append("\r\n");
    s.append("To: ").append(m.to().get(0)).append("\r\n");
    s.append("Subject: ").append(m.subject().orElseThrow()).append("\r\n");
    s.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(m.date().orElseThrow())).append("\r\n");
    s.append("Message-ID: ").append(m.messageId().orElseThrow()).append("\r\n");
    for (Header h : m.headers()) {
      s.append(h.name()).append(": ").append(h.value()).append("\r\n");
    }
    return s.append("\r\n").append(m.text().orElseThrow()).append("\r\n").toString();
  }

  @Test
  void listUnsubscribeCarriesHttpsAndMailtoFormsAndOneClick() {
    BulkHeaders bulk = BulkHeaders.listUnsubscribe(MAILTO, HTTPS);

    assertThat(bulk.headers())
        .containsExactly(
            new Header("List-Unsubscribe", "<https://shop.example/unsub/u-42>, <mailto:unsub@shop.example?subject=u-42>"),
            new Header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"));
  }

  @Test
  void mailtoAloneHasNoOneClickField() {
    BulkHeaders bulk = BulkHeaders.builder().unsubscribeMailto(MAILTO).build();

    assertThat(bulk.headers()).extracting(Header::name).containsExactly("List-Unsubscribe");
  }

  @Test
  void plainHttpIsRefusedForOneClick() {
    assertThatThrownBy(() -> BulkHeaders.builder().unsubscribeOneClick(URI.create("http://shop.example/u")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("https");
  }

  @Test
  void commaInUriIsRefused() {
    assertThatThrownBy(() -> BulkHeaders.builder().unsubscribeOneClick(URI.create("https://shop.example/u,1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("percent-encode");
  }

  @Test
  void precedenceAndAutoSubmittedAreAdded() {
    BulkHeaders bulk = BulkHeaders.builder().precedenceBulk().autoSubmitted().build();

    assertThat(bulk.headers())
        .containsExactly(new Header("Precedence", "bulk"), new Header("Auto-Submitted", "auto-generated"));
  }

  @Test
  void applyingTwiceLeavesOneOfEach() {
    BulkHeaders bulk = BulkHeaders.listUnsubscribe(MAILTO, HTTPS);

    Message m = bulk.applyTo(bulk.applyTo(Message.builder().from(Mailbox.of("news", "shop.example")))).build();

    assertThat(m.headers("List-Unsubscribe")).hasSize(1);
    assertThat(m.headers("List-Unsubscribe-Post")).containsExactly("List-Unsubscribe=One-Click");
  }

  @Test
  void nothingChosenIsRefused() {
    assertThatThrownBy(() -> BulkHeaders.builder().build()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void bulkHeadersAreSignedAndVerifyWithDkimpy() throws IOException {
    KeyPair keys = TestKeys.ed25519();
    DkimSigner signer =
        DkimSigner.builder().domain("shop.example").selector("s1").privateKey(keys.getPrivate()).build();
    String message =
        render(newsletter(BulkHeaders.builder().unsubscribe(MAILTO, HTTPS).precedenceBulk().autoSubmitted().build()));

    String header = signer.sign(Content.ofString(message, StandardCharsets.UTF_8));

    String h = header.replaceAll("\\s+", "").replaceAll(".*;h=([^;]*);.*", "$1");
    assertThat(h.split(":")).contains("list-unsubscribe", "list-unsubscribe-post", "precedence", "auto-submitted");
    String txt = DkimKeys.txtRecord(keys.getPublic());
    DkimPy.Result ok = DkimPy.verify(Content.ofString(header + message, StandardCharsets.UTF_8), "s1._domainkey.shop.example", txt);
    assertThat(ok.verified()).as(ok.output()).isTrue();
    String changed = message.replace("https://shop.example/unsub/u-42", "https://evil.example/u");
    DkimPy.Result tampered = DkimPy.verify(Content.ofString(header + changed, StandardCharsets.UTF_8), "s1._domainkey.shop.example", txt);
    assertThat(tampered.verified()).isFalse();
  }

  @Test
  void messageIdIsOnTheSendersDomain() {
    Message m = newsletter(BulkHeaders.listUnsubscribe(MAILTO, HTTPS));

    assertThat(m.messageId().orElseThrow()).endsWith("@shop.example>");
    assertThat(m.headers().stream().map(Header::name).collect(Collectors.toList()))
        .containsExactly("List-Unsubscribe", "List-Unsubscribe-Post");
  }
}
