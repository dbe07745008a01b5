package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Attachment;
import dev.mailcore.Content;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import jakarta.mail.BodyPart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Renders messages and reads them back with plain Jakarta Mail, independently of MimeParser. */
class MimeRendererTest {
  private static final Mailbox ANA = Mailbox.of("Ana Lima", "ana", "shop.example");
  private static final Mailbox BOB = Mailbox.of("bob", "example.org");
  private static final OffsetDateTime DATE =
      OffsetDateTime.of(2026, 3, 14, 9, 26, 53, 0, ZoneOffset.ofHoursMinutes(-3, -30));

  @Test
  void writesTextOnlyAsQuotedPrintableUtf8TextPlain() throws Exception {
    MimeMessage m = jakarta(base().text("Olá, mundo = igual").build());

    assertThat(m.getContentType()).isEqualToIgnoringCase("text/plain; charset=UTF-8");
    assertThat(m.getEncoding()).isEqualTo("quoted-printable");
    assertThat(m.getContent()).isEqualTo("Olá, mundo = igual");
  }

  @Test
  void writesHtmlOnlyAsTextHtml() throws Exception {
    MimeMessage m = jakarta(base().html("<p>Olá</p>").build());

    assertThat(m.isMimeType("text/html")).isTrue();
    assertThat(m.getContent()).isEqualTo("<p>Olá</p>");
  }

  @Test
  void writesTextAndHtmlAsMultipartAlternative() throws Exception {
    MimeMessage m = jakarta(base().text("plain").html("<b>rich</b>").build());

    assertThat(structure(m)).isEqualTo("multipart/alternative(text/plain,text/html)");
    MimeMultipart alt = (MimeMultipart) m.getContent();
    assertThat(alt.getBodyPart(0).getContent()).isEqualTo("plain");
    assertThat(alt.getBodyPart(1).getContent()).isEqualTo("<b>rich</b>");
  }

  @Test
  void wrapsHtmlAndInlinePartsInMultipartRelated() throws Exception {
    Message message = base()
        .html("<img src=\"cid:logo\">")
        .inline("logo", "image/png", Content.ofBytes(new byte[] {1, 2, 3}))
        .build();

    MimeMessage m = jakarta(message);

    assertThat(structure(m)).isEqualTo("multipart/related(text/html,image/png)");
    assertThat(m.getContentType()).contains("type=\"text/html\"");
    BodyPart logo = ((MimeMultipart) m.getContent()).getBodyPart(1);
    assertThat(((jakarta.mail.internet.MimeBodyPart) logo).getContentID()).isEqualTo("<logo>");
    assertThat(logo.getDisposition()).isEqualTo(Part.INLINE);
    assertThat(logo.getInputStream().readAllBytes()).containsExactly(1, 2, 3);
  }

  @Test
  void nestsAlternativeRelatedAndAttachmentsInMultipartMixed() throws Exception {
    Message message = base()
        .text("plain")
        .html("<img src=\"cid:logo\">")
        .inline("logo", "image/png", Content.ofBytes(new byte[] {1}))
        .attach("report.pdf", "application/pdf", new byte[] {2})
        .build();

    assertThat(structure(jakarta(message)))
        .isEqualTo("multipart/mixed(multipart/alternative(text/plain,"
            + "multipart/related(text/html,image/png)),application/pdf)");
  }

  @Test
  void putsAttachmentsWithoutBodyIntoMultipartMixed() throws Exception {
    MimeMessage m = jakarta(base().attach("a.bin", "application/octet-stream", new byte[] {9}).build());

    assertThat(structure(m)).isEqualTo("multipart/mixed(application/octet-stream)");
    BodyPart part = ((MimeMultipart) m.getContent()).getBodyPart(0);
    assertThat(part.getDisposition()).isEqualTo(Part.ATTACHMENT);
    assertThat(part.getFileName()).isEqualTo("a.bin");
    assertThat(((jakarta.mail.internet.MimeBodyPart) part).getEncoding()).isEqualTo("base64");
  }

  @Test
  void writesEmptyTextPlainWhenThereIsNoBody() throws Exception {
    MimeMessage m = jakarta(base().build());

    assertThat(m.isMimeType("text/plain")).isTrue();
    assertThat(m.getContent()).isEqualTo("");
  }

  @Test
  void encodesNonAsciiSubjectAsUtf8EncodedWords() throws Exception {
    String subject = "Relatório — março ✓ " + "ção ".repeat(20) + "end";
    byte[] raw = render(base().subject(subject).build());

    String subjectLines = headerLines(raw, "Subject");
    assertThat(subjectLines).matches("(?s)Subject: =\\?UTF-8\\?B\\?.*").doesNotContain("ç");
    assertThat(subjectLines.split("\r\n")).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(78));
    assertThat(jakarta(raw).getSubject()).isEqualTo(subject);
  }

  @Test
  void foldsLongAsciiHeaderValuesAtWhiteSpaceOnly() throws Exception {
    String value = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron";
    byte[] raw = render(base().header("X-Words", value).build());

    assertThat(headerLines(raw, "X-Words")).contains("\r\n ").doesNotContain("=?");
    assertThat(MimeParser.unfold(jakarta(raw).getHeader("X-Words", null))).isEqualTo(value);
  }

  @Test
  void writesDateInRfc5322FormWithNumericOffset() throws Exception {
    byte[] raw = render(base().build());

    assertThat(headerLines(raw, "Date")).isEqualTo("Date: Sat, 14 Mar 2026 09:26:53 -0330\r\n");
    assertThat(jakarta(raw).getSentDate().toInstant()).isEqualTo(DATE.toInstant());
  }

  @Test
  void writesMessageIdAndMimeVersion() throws Exception {
    MimeMessage m = jakarta(base().messageId("abc.123@shop.example").build());

    assertThat(m.getMessageID()).isEqualTo("<abc.123@shop.example>");
    assertThat(m.getHeader("MIME-Version", null)).isEqualTo("1.0");
  }

  @Test
  void neverWritesBcc() throws Exception {
    byte[] raw = render(base().bcc(Mailbox.of("hidden", "secret.example")).build());

    assertThat(new String(raw, StandardCharsets.UTF_8)).doesNotContainIgnoringCase("bcc").doesNotContain("hidden");
    assertThat(jakarta(raw).getRecipients(jakarta.mail.Message.RecipientType.BCC)).isNull();
  }

  @Test
  void encodesNonAsciiDisplayNamesAndWritesIdnDomainsAsAscii() throws Exception {
    Message message = base()
        .to(Mailbox.of("Jürgen Groß", "juergen", "bücher.example"))
        .cc(Mailbox.of("Lima, Ana \"Tia\"", "tia", "shop.example"))
        .replyTo(Mailbox.of("Suporte", "help", "shop.example"))
        .sender(Mailbox.of("robot", "shop.example"))
        .build();
    byte[] raw = render(message);

    assertThat(headerLines(raw, "To")).contains(", =?UTF-8?B?").contains("<juergen@xn--bcher-kva.example>");
    MimeMessage m = jakarta(raw);
    InternetAddress to = (InternetAddress) m.getRecipients(jakarta.mail.Message.RecipientType.TO)[1];
    assertThat(to.getPersonal()).isEqualTo("Jürgen Groß");
    InternetAddress cc = (InternetAddress) m.getRecipients(jakarta.mail.Message.RecipientType.CC)[0];
    assertThat(cc.getPersonal()).isEqualTo("Lima, Ana \"Tia\"");
    assertThat(cc.getAddress()).isEqualTo("tia@shop.example");
    assertThat(((InternetAddress) m.getReplyTo()[0]).getPersonal()).isEqualTo("Suporte");
    assertThat(((InternetAddress) m.getSender()).getAddress()).isEqualTo("robot@shop.example");
    assertThat(((InternetAddress) m.getFrom()[0]).getPersonal()).isEqualTo("Ana Lima");
  }

  @Test
  void writesNonAsciiLocalPartsAsUtf8() throws Exception {
    byte[] raw = render(base().to(Mailbox.of("josé", "correo.example")).build());

    assertThat(headerLines(raw, "To")).contains("josé@correo.example");
    InternetAddress[] to = (InternetAddress[]) jakarta(raw).getRecipients(jakarta.mail.Message.RecipientType.TO);
    assertThat(to[1].getAddress()).isEqualTo("josé@correo.example");
  }

  @Test
  void keepsCustomHeaderOrderAndEncodesNonAsciiValues() throws Exception {
    byte[] raw = render(base().header("X-B", "first").header("X-A", "Grüße").header("X-B", "=?not-a-word?=").build());

    MimeMessage m = jakarta(raw);
    assertThat(m.getHeader("X-B")).hasSize(2).startsWith("first");
    assertThat(jakarta.mail.internet.MimeUtility.decodeText(m.getHeader("X-B")[1])).isEqualTo("=?not-a-word?=");
    assertThat(headerLines(raw, "X-A")).startsWith("X-A: =?UTF-8?B?");
    assertThat(jakarta.mail.internet.MimeUtility.decodeText(m.getHeader("X-A", null))).isEqualTo("Grüße");
    String text = new String(raw, StandardCharsets.UTF_8);
    assertThat(text.indexOf("X-B: first")).isLessThan(text.indexOf("X-A:"));
  }

  @Test
  void encodesNonAsciiFileNamesPerRfc2231AndAsEncodedName() throws Exception {
    String name = "relatório anual de março e previsões para o próximo exercício.pdf";
    byte[] raw = render(base().attach(name, "application/pdf", new byte[] {1}).build());

    String text = new String(raw, StandardCharsets.US_ASCII);
    assertThat(text).contains("filename*0*=UTF-8''relat%C3%B3rio").contains("name=\"=?UTF-8?B?");
    BodyPart part = ((MimeMultipart) jakarta(raw).getContent()).getBodyPart(0);
    assertThat(part.getFileName()).isEqualTo(name);
    assertThat(new jakarta.mail.internet.ContentType(part.getContentType()).getParameter("name"))
        .satisfies(n -> assertThat(jakarta.mail.internet.MimeUtility.decodeText(n)).isEqualTo(name));
  }

  @Test
  void writesOnlyCrlfLineEndsWithinLengthLimits() throws Exception {
    Message message = base()
        .subject("ünïcode ".repeat(30))
        .text("line one\nline two\rline three\r\n" + "long ".repeat(100) + "\n\n")
        .html("<p>" + "é".repeat(500) + "</p>")
        .attach("x".repeat(40) + "ü.txt", "text/plain", new byte[5000])
        .build();
    String raw = new String(render(message), StandardCharsets.ISO_8859_1);

    assertThat(raw.replace("\r\n", "")).doesNotContain("\r").doesNotContain("\n");
    assertThat(raw.endsWith("\r\n")).isTrue();
    for (String line : raw.split("\r\n")) {
      assertThat(line.length()).as(line).isLessThanOrEqualTo(84);
    }
  }

  @Test
  void protectsTrailingWhiteSpaceAndKeepsLineBreaks() throws Exception {
    MimeMessage m = jakarta(base().text("tail  \nend\t").build());

    assertThat(((String) m.getContent()).replace("\r\n", "\n")).isEqualTo("tail  \nend\t");
  }

  @Test
  void readsContentOnlyWhileWriting() throws Exception {
    AtomicInteger opens = new AtomicInteger();
    Content content = Content.ofSource(() -> {
      opens.incrementAndGet();
      return new ByteArrayInputStream(new byte[] {7, 7});
    }, 2);
    Message message = base().attach(Attachment.of("lazy.bin", "application/octet-stream", content)).build();
    assertThat(opens).hasValue(0);

    MimeMessage m = jakarta(render(message));

    assertThat(opens).hasValue(1);
    assertThat(((MimeMultipart) m.getContent()).getBodyPart(0).getInputStream().readAllBytes()).containsExactly(7, 7);
  }

  @Test
  void reportsFailingContentSourceAsIoError() {
    Content broken = Content.ofSource(() -> {
      throw new IOException("disk gone");
    }, -1);
    Message message = base().attach(Attachment.of("x.bin", "application/octet-stream", broken)).build();

    assertThatThrownBy(() -> message.writeTo(new ByteArrayOutputStream()))
        .isInstanceOf(UncheckedIOException.class)
        .hasRootCauseMessage("disk gone");
  }

  @Test
  void keepsAttachmentBytesIdenticalAcrossBase64LineBreaks() throws Exception {
    byte[] bytes = new byte[10_000];
    new java.util.Random(7).nextBytes(bytes);
    MimeMessage m = jakarta(render(base().attach("r.bin", "application/octet-stream", bytes).build()));

    assertThat(((MimeMultipart) m.getContent()).getBodyPart(0).getInputStream().readAllBytes()).isEqualTo(bytes);
  }

  @Test
  void rendersLargeAttachmentInSixtyFourMegabyteHeap() throws Exception {
    String java = System.getProperty("java.home") + "/bin/java";
    Process p = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
            LargeAttachmentRender.class.getName(), String.valueOf(LargeAttachmentRender.SIZE))
        .redirectErrorStream(true)
        .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();

    assertThat(p.waitFor()).as(output).isZero();
    long written = Long.parseLong(output.substring(output.lastIndexOf('\n') + 1).trim());
    long base64 = LargeAttachmentRender.SIZE * 4 / 3;
    assertThat(written).isBetween(base64, base64 + base64 / 76 * 2 + 10_000);
  }

  private static Message.Builder base() {
    return Message.builder().from(ANA).to(BOB).date(DATE).messageId("fixed@shop.example");
  }

  static byte[] render(Message m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.writeTo(out);
    return out.toByteArray();
  }

  private static MimeMessage jakarta(Message m) throws Exception {
    return jakarta(render(m));
  }

  static MimeMessage jakarta(byte[] raw) throws Exception {
    Properties props = new Properties();
    props.setProperty("mail.mime.allowutf8", "true");
    return new MimeMessage(Session.getInstance(props), new ByteArrayInputStream(raw));
  }

  /** Returns the named header field with its folded continuation lines, as written. */
  private static String headerLines(byte[] raw, String name) {
    String text = new String(raw, StandardCharsets.UTF_8);
    int start = text.startsWith(name + ":") ? 0 : text.indexOf("\r\n" + name + ":") + 2;
    assertThat(start).as(name).isGreaterThanOrEqualTo(0);
    int end = start;
    do {
      end = text.indexOf("\r\n", end) + 2;
    } while (text.charAt(end) == ' ' || text.charAt(end) == '\t');
    return text.substring(start, end);
  }

  /** Describes the body tree, such as {@code multipart/alternative(text/plain,text/html)}. */
  static String structure(Part p) throws Exception {
    String type = new jakarta.mail.internet.ContentType(p.getContentType()).getBaseType().toLowerCase();
    if (!type.startsWith("multipart/")) {
      return type;
    }
    MimeMultipart mp = (MimeMultipart) p.getContent();
    List<String> children = new ArrayList<>();
    for (int i = 0; i < mp.getCount(); i++) {
      children.add(structure(mp.getBodyPart(i)));
    }
    return type + "(" + String.join(",", children) + ")";
  }
}
