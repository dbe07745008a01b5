package dev.mailcore.smtp.queue;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** A delivery status notification as Jakarta Mail parses it, for assertions. */
record Dsn(
    MimeMessage message,
    String reportType,
    InternetHeaders perMessage,
    List<InternetHeaders> recipients,
    String originalHeaders) {

  static Dsn parse(byte[] bytes) throws MessagingException, IOException {
    MimeMessage m =
        new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
    ContentType type = new ContentType(m.getContentType());
    if (!type.match("multipart/report")) {
      throw new AssertionError("not a multipart/report: " + type);
    }
    MimeMultipart parts = (MimeMultipart) m.getContent();
    BodyPart status = parts.getBodyPart(1);
    if (!status.isMimeType("message/delivery-status")) {
      throw new AssertionError("second part is " + status.getContentType());
    }
    List<InternetHeaders> blocks = new ArrayList<>();
    try (PushbackInputStream in = new PushbackInputStream(status.getInputStream(), 2)) {
      while (true) {
        skipBlankLines(in);
        int b = in.read();
        if (b < 0) {
          break;
        }
        in.unread(b);
        blocks.add(new InternetHeaders(in));
      }
    }
    BodyPart headers = parts.getBodyPart(2);
    String original;
    try (InputStream in = headers.getInputStream()) {
      original = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    return new Dsn(
        m,
        type.getParameter("report-type"),
        blocks.get(0),
        blocks.subList(1, blocks.size()),
        headers.getContentType() + "\n" + original);
  }

  private static void skipBlankLines(PushbackInputStream in) throws IOException {
    for (int b; (b = in.read()) >= 0; ) {
      if (b != '\r' && b != '\n') {
        in.unread(b);
        return;
      }
    }
  }

  String field(int recipient, String name) {
    String v = recipients.get(recipient).getHeader(name, null);
    return v == null ? null : v.trim();
  }

  String subject() throws MessagingException {
    return message.getSubject();
  }

  String humanText() throws MessagingException, IOException {
    return ((MimeMultipart) message.getContent()).getBodyPart(0).getContent().toString();
  }
}
