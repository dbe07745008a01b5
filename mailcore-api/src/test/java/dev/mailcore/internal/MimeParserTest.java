package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Attachment;
import dev.mailcore.Header;
import dev.mailcore.MailFormatException;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reads real-world messages (fixtures in {@code src/test/resources/mime}) and odd input. */
class MimeParserTest {

  @Test
  void readsBareLineFeedMessages() {
    Message m = fixture("thunderbird-bare-lf.eml");

    assertThat(m.from()).containsExactly(Mailbox.of("Ana Lima", "ana", "shop.example"));
    assertThat(m.to()).containsExactly(Mailbox.of("bob", "example.org"));
    assertThat(m.subject()).hasValue("bare line feeds");
    assertThat(m.messageId()).hasValue("<lf-1@shop.example>");
    assertThat(m.date()).hasValue(OffsetDateTime.of(2026, 3, 3, 10, 0, 0, 0, ZoneOffset.ofHours(1)));
    assertThat(m.text()).hasValue("first line\nsecond line");
    assertThat(m.html()).hasValue("<p>first</p>");
    assertThat(m.attachments()).isEmpty();
  }

  @Test
  void readsMessagesWithoutMimeVersionAsText() {
    Message m = fixture("legacy-no-mime-version.eml");

    // no charset and not UTF-8: read as ISO-8859-1
    assertThat(m.text()).hasValue("plain café text\n");
    assertThat(m.subject()).hasValue("no MIME here");
    assertThat(m.date()).isEmpty();
    assertThat(m.messageId()).isEmpty();
  }

  @Test
  void readsUnknownCharsetsAsLatin1() {
    Message m = fixture("webmail-unknown-charset.eml");

    assertThat(m.text()).hasValue("café crème\n");
    assertThat(m.subject()).hasValue("café ok");
    assertThat(m.from()).containsExactly(Mailbox.of("Café", "cafe", "shop.example"));
  }

  @Test
  void decodesWhatItCanOfBrokenBase64() {
    Message m = fixture("mailer-broken-base64.eml");

    assertThat(m.text()).hasValue("see attachment");
    assertThat(m.attachments()).singleElement().satisfies(a -> {
      assertThat(a.fileName()).hasValue("data.bin");
      assertThat(a.content().readAllBytes()).isEqualTo("ABCD".getBytes(StandardCharsets.US_ASCII));
    });
  }

  @Test
  void findsBodiesAndPartsInNestedAlternativeInsideMixed() {
    Message m = fixture("outlook-nested-alternative-in-mixed.eml");

    assertThat(m.text()).hasValue("Olá");
    // the related root is the HTML body even though it carries a Content-ID
    assertThat(m.html()).hasValue("<img src=\"cid:logo\">");
    assertThat(m.attachments()).hasSize(3);
    Attachment logo = m.attachments().get(0);
    assertThat(logo.contentType()).isEqualTo("image/png");
    assertThat(logo.contentId()).hasValue("logo");
    assertThat(logo.inline()).isTrue();
    assertThat(logo.content().readAllBytes()).containsExactly(1, 2, 3);
    Attachment forwarded = m.attachments().get(1);
    assertThat(forwarded.contentType()).isEqualTo("message/rfc822");
    assertThat(new String(forwarded.content().readAllBytes(), StandardCharsets.US_ASCII)).contains("Subject: forwarded");
    Attachment pdf = m.attachments().get(2);
    assertThat(pdf.fileName()).hasValue("relatório.pdf");
    assertThat(pdf.inline()).isFalse();
    assertThat(pdf.content().readAllBytes()).startsWith('%', 'P', 'D', 'F');
  }

  @Test
  void keepsBrokenEncodedWordsRaw() {
    assertThat(fixture("spam-odd-headers.eml").subject()).hasValue("=?UTF-8?Q?broken");
  }

  @Test
  void flattensGroupsAndSkipsAddressesWithoutDomain() {
    Message m = fixture("spam-odd-headers.eml");

    assertThat(m.to()).containsExactly(Mailbox.of("c", "example.org"), Mailbox.of("d", "example.org"));
    assertThat(m.cc()).containsExactly(Mailbox.of("e", "example.org"));
  }

  @Test
  void choosesFirstAuthorAsSenderWhenSeveralFromHaveNone() {
    Message m = fixture("spam-odd-headers.eml");

    assertThat(m.from()).containsExactly(Mailbox.of("a", "shop.example"), Mailbox.of("b", "shop.example"));
    assertThat(m.sender()).hasValue(Mailbox.of("a", "shop.example"));
  }

  @Test
  void readsDatesWithCommentsAndLeavesOutInvalidMessageIds() {
    Message m = fixture("spam-odd-headers.eml");

    assertThat(m.date()).hasValue(OffsetDateTime.of(2026, 3, 3, 10, 0, 0, 0, ZoneOffset.ofHours(1)));
    assertThat(m.messageId()).isEmpty();
  }

  @Test
  void keepsUnmanagedHeadersInOrderDecodedAndSanitized() {
    Message m = fixture("spam-odd-headers.eml");

    assertThat(m.headers()).containsExactly(
        new Header("Received", "from mx.example by mail.example; Tue, 3 Mar 2026 10:00:00 +0100"),
        new Header("Return-Path", "<bounce@shop.example>"),
        new Header("X-Injected", "line1 line2"),
        new Header("X-Folded", "one  two"));
  }

  @Test
  void readsObsoleteDateForms() {
    assertThat(MimeParser.parseDate("3 Mar 2026 10:00 GMT")).hasValue(OffsetDateTime.of(2026, 3, 3, 10, 0, 0, 0, ZoneOffset.UTC));
    assertThat(MimeParser.parseDate("Tue, 03 Mar 2026 10:00:00 EST").map(OffsetDateTime::toInstant))
        .hasValue(OffsetDateTime.of(2026, 3, 3, 15, 0, 0, 0, ZoneOffset.UTC).toInstant());
    assertThat(MimeParser.parseDate("next tuesday")).isEmpty();
  }

  @Test
  void readsEmptyTextPlainBodyAsEmptyText() {
    Message m = parse("From: a@shop.example\r\n\r\n");

    assertThat(m.text()).hasValue("");
    assertThat(m.html()).isEmpty();
  }

  @Test
  void treatsTextPartsWithFileNameOrAttachmentDispositionAsAttachments() {
    Message m = parse("From: a@shop.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        + "--x\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnotes\r\n"
        + "--x\r\nContent-Type: text/html; name=page.html\r\n\r\n<p>\r\n--x--\r\n");

    assertThat(m.text()).isEmpty();
    assertThat(m.html()).isEmpty();
    assertThat(m.attachments()).extracting(Attachment::contentType, Attachment::fileName)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("text/plain", Optional.empty()),
            org.assertj.core.groups.Tuple.tuple("text/html", Optional.of("page.html")));
  }

  @Test
  void keepsUnsplittableMultipartAsAttachment() {
    Message m = parse("From: a@shop.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\nno parts here\r\n");

    assertThat(m.attachments()).singleElement().satisfies(a -> assertThat(a.contentType()).isEqualTo("application/octet-stream"));
  }

  @Test
  void keepsMultipartsNestedTooDeeplyWhole() {
    StringBuilder raw = new StringBuilder("From: a@shop.example\r\n");
    for (int i = 0; i < 100; i++) {
      raw.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
    }
    raw.append("Content-Type: text/plain\r\n\r\ndeep\r\n");

    Message m = parse(raw.toString());

    assertThat(m.text()).isEmpty();
    assertThat(m.attachments()).singleElement().satisfies(a -> assertThat(a.contentType()).isEqualTo("application/octet-stream"));
  }

  @Test
  void refusesInputWithoutHeaderFields() {
    assertThatThrownBy(() -> parse("")).isInstanceOf(MailFormatException.class).hasMessageContaining("no header fields");
  }

  @Test
  void reportsReadFailureAsUncheckedIoError() {
    InputStream failing = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("connection reset");
      }
    };

    assertThatThrownBy(() -> Message.parse(failing)).isInstanceOf(UncheckedIOException.class)
        .hasRootCauseMessage("connection reset");
  }

  private static Message parse(String raw) {
    return Message.parse(new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8)));
  }

  private static Message fixture(String name) {
    try (InputStream in = MimeParserTest.class.getResourceAsStream("/mime/" + name)) {
      assertThat(in).as(name).isNotNull();
      return Message.parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
