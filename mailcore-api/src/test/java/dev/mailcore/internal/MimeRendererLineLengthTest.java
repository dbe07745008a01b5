package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.Attachment;
import dev.mailcore.Content;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Renders seeded random messages built to provoke the line limits (long words, long runs of
 * white space, non-ASCII, long names, bare CR and LF in bodies) and checks the RFC 5322 / 2045
 * line rules on every output line, then reads each message back.
 */
class MimeRendererLineLengthTest {
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABC0123456789.-=?_()<>\"\\,;:@";
  private static final String[] NON_ASCII = {"é", "ü", "日本", "😀", "Ω", "ß", "\u00a0"};

  @Test
  void keepsEveryLineWithinLimitsForRandomMessages() throws Exception {
    Random r = new Random(20261201L);
    for (int i = 0; i < 400; i++) {
      int n = i;
      Message m = randomMessage(r);
      byte[] raw = MimeRendererTest.render(m);

      checkLines(raw, "message " + n);
      MimeMessage jakarta = MimeRendererTest.jakarta(raw);
      m.subject().ifPresent(s -> assertThat(subjectOf(jakarta).replace('\t', ' '))
          .as("message %d subject", n).isEqualTo(s.replace('\t', ' ')));
      Message back = Message.parse(new java.io.ByteArrayInputStream(raw));
      assertThat(back.subject()).as("message %d subject", n).isEqualTo(m.subject());
      assertThat(back.headers()).as("message %d headers", n).isEqualTo(m.headers());
      assertThat(back.from()).as("message %d from", n).isEqualTo(m.from());
      m.text().ifPresent(t -> assertThat(back.text()).as("message %d text", n)
          .hasValue(t.replace("\r\n", "\n").replace('\r', '\n')));
      assertThat(back.attachments()).as("message %d attachments", n).hasSameSizeAs(m.attachments());
      for (int k = 0; k < m.attachments().size(); k++) {
        Attachment a = m.attachments().get(k);
        assertThat(back.attachments().get(k).fileName()).as("message %d file name", n)
            .isEqualTo(a.fileName());
      }
    }
  }

  @Test
  void neverWritesAWhiteSpaceOnlyHeaderLine() throws Exception {
    Message m = Message.builder()
        .from(Mailbox.of("ana", "shop.example"))
        .subject("a".repeat(76) + "  " + "b".repeat(80))
        .header("X-Spaces", "a" + " ".repeat(200) + "b" + " \t ".repeat(40) + "c")
        .build();
    byte[] raw = MimeRendererTest.render(m);

    checkLines(raw, "spaces");
    Message back = Message.parse(new java.io.ByteArrayInputStream(raw));
    assertThat(back.subject()).isEqualTo(m.subject());
    assertThat(back.headers("X-Spaces")).containsExactly(m.headers("X-Spaces").get(0));
  }

  @Test
  void encodesAWordTooLongForOneLine() throws Exception {
    String word = "w".repeat(950);
    Message m = Message.builder()
        .from(Mailbox.of("ana", "shop.example"))
        .header("X-Long-Name-" + "n".repeat(60), word + " " + " ".repeat(100) + "end")
        .build();
    byte[] raw = MimeRendererTest.render(m);

    checkLines(raw, "long word");
    Message back = Message.parse(new java.io.ByteArrayInputStream(raw));
    assertThat(back.headers()).isEqualTo(m.headers());
  }

  /** Every line ends in CRLF and has at most 998 octets; no header line is white space only. */
  static void checkLines(byte[] raw, String what) {
    int lineStart = 0;
    boolean inHeader = true;
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '\n') {
        assertThat(i > 0 && raw[i - 1] == '\r').as("%s: bare LF at %d", what, i).isTrue();
        int length = i - 1 - lineStart;
        assertThat(length).as("%s: line at %d", what, lineStart).isLessThanOrEqualTo(998);
        String line = new String(raw, lineStart, length, StandardCharsets.UTF_8);
        if (inHeader && !line.isEmpty()) {
          assertThat(line.isBlank()).as("%s: white-space-only header line at %d", what, lineStart)
              .isFalse();
        }
        inHeader = inHeader && length > 0;
        lineStart = i + 1;
      } else if (b == '\r') {
        assertThat(i + 1 < raw.length && raw[i + 1] == '\n').as("%s: bare CR at %d", what, i).isTrue();
      }
    }
    assertThat(lineStart).as("%s: ends with CRLF", what).isEqualTo(raw.length);
  }

  private static String subjectOf(MimeMessage m) {
    try {
      // Jakarta unfolds CRLF and the white space after it to one space, so compare tabs as spaces
      return MimeUtility.decodeText(MimeUtility.unfold(m.getHeader("Subject", null)));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Message randomMessage(Random r) {
    Message.Builder b = Message.builder()
        .from(Mailbox.of(r.nextBoolean() ? text(r, 1 + r.nextInt(120), false) : null, "ana", "shop.example"))
        .to(Mailbox.of("bob", "example.org"))
        .date(OffsetDateTime.of(2026, 12, 1, 8, 0, 0, 0, ZoneOffset.UTC));
    if (r.nextInt(4) != 0) {
      b.subject(headerText(r));
    }
    for (int i = r.nextInt(4); i > 0; i--) {
      String name = "X-" + "h".repeat(r.nextInt(70)) + i;
      b.header(name, headerText(r));
    }
    if (r.nextBoolean()) {
      b.text(bodyText(r));
    }
    if (r.nextInt(3) == 0) {
      b.html("<p>" + bodyText(r) + "</p>");
    }
    for (int i = r.nextInt(3); i > 0; i--) {
      String name = text(r, 1 + r.nextInt(r.nextInt(5) == 0 ? 300 : 30), false).strip();
      Optional<String> fileName = name.isEmpty() ? Optional.empty() : Optional.of(name);
      if (r.nextBoolean()) {
        // an unencoded message/rfc822 part keeps its lines, so they must be short already
        byte[] eml = ("Subject: inner\n\n" + bodyText(r, 500)).getBytes(StandardCharsets.UTF_8);
        b.attach(new Attachment(fileName, "message/rfc822", false, Optional.empty(), Content.ofBytes(eml)));
      } else {
        byte[] bytes = new byte[r.nextInt(2000)];
        r.nextBytes(bytes);
        b.attach(new Attachment(fileName, "application/octet-stream", false, Optional.empty(),
            Content.ofBytes(bytes)));
      }
    }
    return b.build();
  }

  /** Header text: words of random length (some over 78 and some over 900), runs of white space. */
  private static String headerText(Random r) {
    StringBuilder s = new StringBuilder();
    for (int i = 1 + r.nextInt(12); i > 0; i--) {
      int length = switch (r.nextInt(10)) {
        case 0 -> 79 + r.nextInt(200);
        case 1 -> 880 + r.nextInt(60);
        default -> 1 + r.nextInt(12);
      };
      s.append(text(r, length, true));
      int spaces = r.nextInt(8) == 0 ? 70 + r.nextInt(150) : 1 + r.nextInt(2);
      for (int k = 0; k < spaces; k++) {
        s.append(r.nextInt(6) == 0 ? '\t' : ' ');
      }
    }
    s.append("end");
    return s.toString();
  }

  /** Body text: lines of random length with CRLF, bare CR and bare LF breaks, dots and "From ". */
  private static String bodyText(Random r) {
    return bodyText(r, 3000);
  }

  private static String bodyText(Random r, int longLine) {
    StringBuilder s = new StringBuilder();
    for (int i = r.nextInt(20); i > 0; i--) {
      switch (r.nextInt(6)) {
        case 0 -> s.append('.');
        case 1 -> s.append("From here");
        default -> { }
      }
      s.append(text(r, r.nextInt(r.nextInt(10) == 0 ? longLine : 100), false));
      if (r.nextInt(5) == 0) {
        s.append(' ');
      }
      s.append(switch (r.nextInt(3)) {
        case 0 -> "\r\n";
        case 1 -> "\n";
        default -> "\r";
      });
    }
    return s.toString();
  }

  private static String text(Random r, int length, boolean noWhiteSpace) {
    StringBuilder s = new StringBuilder();
    while (s.length() < length) {
      int k = r.nextInt(20);
      if (k == 0) {
        s.append(NON_ASCII[r.nextInt(NON_ASCII.length)]);
      } else if (k == 1 && !noWhiteSpace) {
        s.append(' ');
      } else {
        s.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
      }
    }
    return s.toString();
  }
}
