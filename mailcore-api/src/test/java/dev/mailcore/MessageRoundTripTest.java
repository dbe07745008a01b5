package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Writes thousands of randomly built messages and reads each back: {@code parse(writeTo(m))}
 * must equal {@code m} in every field a user sees.
 *
 * <p>Documented differences, and so part of the expectation: line breaks of text and HTML come
 * back as {@code \n} (CRLF and lone CR included; no line break is added or lost at the end);
 * Bcc is never written; a message without any body comes back with an empty text; attachments
 * come back in body-tree order, the inline parts the HTML refers to first, then the others, each
 * group in its original order.
 */
class MessageRoundTripTest {
  private static final long SEED = 20260301L;
  private static final int MESSAGES = 3000;

  private static final String[] WORDS = {
    "invoice", "Olá", "März", "naïve", "café", "日本語", "Привет", "😀", "a", "=", "==", "=?", "?=",
    "\"quoted\"", "back\\slash", "(paren)", "semi;colon", "comma,", "at@sign", "<angle>", "dot.",
    "tab\tin", "ünïcödé", "Ελληνικά", "עברית", "x", "From", ".", "%20", "*", "'",
  };
  private static final String[] LOCAL_CHARS = {
    "a", "b", "z", "0", "9", "-", "_", "+", "ü", "ñ", "é", "日", "ж",
  };
  private static final String[] LABELS = {
    "shop", "example", "mail", "bücher", "münchen", "日本", "пример", "x1", "a-b", "ελ",
  };
  private static final String[] TYPES = {
    "application/pdf", "image/png", "image/jpeg", "text/plain", "text/html", "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "message/rfc822",
    "text/csv", "audio/ogg",
  };

  @Test
  void everyRandomMessageReadsBackEqual() {
    Random random = new Random(SEED);
    for (int i = 0; i < MESSAGES; i++) {
      Message original = randomMessage(random, i);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      original.writeTo(out);
      byte[] raw = out.toByteArray();
      Message back = Message.parse(new ByteArrayInputStream(raw));
      assertSameVisibleFields(original, back, "message " + i + " (seed " + SEED + "):\n"
          + new String(raw, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  private static void assertSameVisibleFields(Message m, Message back, String what) {
    assertThat(back.from()).as(what).containsExactlyElementsOf(m.from());
    assertThat(back.sender()).as(what).isEqualTo(m.sender());
    assertThat(back.replyTo()).as(what).containsExactlyElementsOf(m.replyTo());
    assertThat(back.to()).as(what).containsExactlyElementsOf(m.to());
    assertThat(back.cc()).as(what).containsExactlyElementsOf(m.cc());
    assertThat(back.bcc()).as(what).isEmpty();
    for (List<Mailbox> list : List.of(back.from(), back.to(), back.cc(), back.replyTo())) {
      for (Mailbox mb : list) {
        assertThat(mb.domain()).as(what).isEqualTo(java.net.IDN.toUnicode(mb.asciiDomain(), java.net.IDN.ALLOW_UNASSIGNED));
      }
    }
    assertThat(back.subject()).as(what).isEqualTo(m.subject());
    boolean noBody = m.text().isEmpty() && m.html().isEmpty() && m.attachments().isEmpty();
    assertThat(back.text()).as(what).isEqualTo(noBody ? java.util.Optional.of("") : m.text().map(MessageRoundTripTest::lf));
    assertThat(back.html()).as(what).isEqualTo(m.html().map(MessageRoundTripTest::lf));
    assertThat(back.headers()).as(what).containsExactlyElementsOf(m.headers());
    assertThat(back.messageId()).as(what).isEqualTo(m.messageId());
    assertThat(back.date()).as(what).isEqualTo(m.date().map(d -> d.withNano(0)));

    List<Attachment> expected = new ArrayList<>();
    if (m.html().isPresent()) {
      m.attachments().stream().filter(a -> a.inline() && a.contentId().isPresent()).forEach(expected::add);
    }
    m.attachments().stream().filter(a -> !expected.contains(a)).forEach(expected::add);
    assertThat(back.attachments()).as(what).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      Attachment e = expected.get(i);
      Attachment a = back.attachments().get(i);
      assertThat(a.fileName()).as(what).isEqualTo(e.fileName());
      assertThat(a.contentType()).as(what).isEqualTo(e.contentType());
      assertThat(a.inline()).as(what).isEqualTo(e.inline());
      assertThat(a.contentId()).as(what).isEqualTo(e.contentId());
      assertThat(a.content().readAllBytes()).as(what).isEqualTo(e.content().readAllBytes());
    }
  }

  private static String lf(String s) {
    return s.replace("\r\n", "\n").replace('\r', '\n');
  }

  private static Message randomMessage(Random r, int n) {
    Message.Builder b = Message.builder();
    int authors = r.nextInt(20) == 0 ? 0 : r.nextInt(10) == 0 ? 2 : 1;
    for (int i = 0; i < authors; i++) {
      b.from(mailbox(r));
    }
    if (authors > 1 || r.nextInt(10) == 0) {
      b.sender(mailbox(r));
    }
    for (int i = r.nextInt(3); i > 0; i--) {
      b.to(mailbox(r));
    }
    for (int i = r.nextInt(3) - 1; i > 0; i--) {
      b.cc(mailbox(r));
    }
    for (int i = r.nextInt(3) - 1; i > 0; i--) {
      b.replyTo(mailbox(r));
    }
    for (int i = r.nextInt(3) - 1; i > 0; i--) {
      b.bcc(mailbox(r));
    }
    if (r.nextInt(8) != 0) {
      b.subject(line(r, r.nextInt(6) == 0 ? 40 : 8));
    }
    if (r.nextInt(4) != 0) {
      b.text(body(r));
    }
    if (r.nextInt(2) == 0) {
      b.html("<html><body><p>" + body(r) + "</p><img src=\"cid:part" + n + "\"></body></html>");
    }
    for (int i = r.nextInt(4); i > 0; i--) {
      b.attach(attachment(r, n, i));
    }
    for (int i = r.nextInt(4); i > 0; i--) {
      String value = r.nextInt(5) == 0 ? "" : line(r, r.nextInt(5) == 0 ? 60 : 5);
      String[] names = {"X-Campaign", "Keywords", "In-Reply-To", "X-Mailer", "List-Id", "x-lower-case"};
      b.header(names[r.nextInt(names.length)], value);
    }
    if (r.nextBoolean()) {
      b.messageId("id" + n + "." + Long.toHexString(r.nextLong()) + "@" + (r.nextBoolean() ? "shop.example" : "xn--bcher-kva.example"));
    }
    if (r.nextInt(5) != 0) {
      long seconds = Instant.parse("1990-01-01T00:00:00Z").getEpochSecond() + (long) (r.nextDouble() * 40L * 365 * 86400);
      ZoneOffset offset = ZoneOffset.ofTotalSeconds((r.nextInt(26 * 4 + 1) - 12 * 4) * 15 * 60);
      b.date(OffsetDateTime.ofInstant(Instant.ofEpochSecond(seconds), offset));
    }
    return b.build();
  }

  private static Attachment attachment(Random r, int n, int i) {
    byte[] bytes = new byte[r.nextInt(8) == 0 ? 0 : r.nextInt(r.nextInt(10) == 0 ? 60_000 : 3000)];
    r.nextBytes(bytes);
    String type = TYPES[r.nextInt(TYPES.length)];
    if (type.equals("message/rfc822")) {
      // a message/rfc822 part is a message: RFC 2046 §5.2.1 allows no transfer encoding
      bytes = ("From: inner" + i + "@shop.example\r\nSubject: " + line(r, 3).strip() + "\r\n\r\n"
          + lf(body(r)).replace("\n", "\r\n")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    String name = fileName(r);
    Content content = Content.ofBytes(bytes);
    switch (r.nextInt(5)) {
      case 0:
        return Attachment.inline(i == 1 ? "part" + n : "p" + n + "." + i + "@shop.example", type, content);
      case 1:
        return new Attachment(java.util.Optional.of(name), type, true, java.util.Optional.of("c" + i + "-" + n), content);
      case 2:
        return new Attachment(java.util.Optional.of(name), type, r.nextBoolean(), java.util.Optional.empty(), content);
      default:
        return Attachment.of(name, type, content);
    }
  }

  private static String fileName(Random r) {
    StringBuilder s = new StringBuilder();
    for (int i = r.nextInt(r.nextInt(6) == 0 ? 25 : 4) + 1; i > 0; i--) {
      if (s.length() > 0) {
        s.append(r.nextBoolean() ? " " : "_");
      }
      s.append(WORDS[r.nextInt(WORDS.length)].replace("\t", ""));
    }
    return s.append('.').append(r.nextBoolean() ? "pdf" : "dat").toString();
  }

  private static Mailbox mailbox(Random r) {
    StringBuilder local = new StringBuilder();
    int parts = r.nextInt(3) + 1;
    for (int p = 0; p < parts; p++) {
      if (p > 0) {
        local.append('.');
      }
      for (int i = r.nextInt(8) + 1; i > 0; i--) {
        String c = LOCAL_CHARS[r.nextInt(r.nextInt(4) == 0 ? LOCAL_CHARS.length : 8)];
        local.append(c);
      }
    }
    StringBuilder domain = new StringBuilder();
    for (int i = r.nextInt(2) + 1; i > 0; i--) {
      domain.append(LABELS[r.nextInt(r.nextInt(3) == 0 ? LABELS.length : 3)]).append('.');
    }
    domain.append(r.nextBoolean() ? "example" : "org");
    String name = null;
    switch (r.nextInt(5)) {
      case 0:
        break;
      case 1:
        name = "Ana Lima";
        break;
      default:
        name = line(r, r.nextInt(3) + 1).strip();
        if (name.isEmpty()) {
          name = "Bob";
        }
    }
    return Mailbox.of(name, local.toString(), domain.toString());
  }

  /** Words joined by single or odd white space, sometimes with spaces at either end. */
  private static String line(Random r, int words) {
    StringBuilder s = new StringBuilder();
    if (r.nextInt(20) == 0) {
      s.append(' ');
    }
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        s.append(r.nextInt(15) == 0 ? "  " : r.nextInt(30) == 0 ? "\t" : " ");
      }
      s.append(WORDS[r.nextInt(WORDS.length)]);
    }
    if (r.nextInt(20) == 0) {
      s.append(' ');
    }
    return s.toString();
  }

  private static String body(Random r) {
    StringBuilder s = new StringBuilder();
    String[] breaks = {"\n", "\r\n", "\r", "\n\n", " \n", "\t\r\n"};
    for (int i = r.nextInt(12); i >= 0; i--) {
      s.append(line(r, r.nextInt(r.nextInt(8) == 0 ? 60 : 12)));
      if (i > 0 || r.nextBoolean()) {
        s.append(breaks[r.nextInt(breaks.length)]);
      }
    }
    return s.toString();
  }
}
