package dev.mailcore.examples;

import dev.mailcore.Content;
import dev.mailcore.Message;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The README's main command: builds a message, renders it and shows its MIME structure, then sends
 * and reads mail through servers it starts itself on loopback.
 */
public final class Demo {
  private Demo() {}

  /** Runs the demo. */
  public static void main(String[] args) throws Exception {
    Message message = demoMessage();
    showStructure(message);

    System.out.println("== 2. Send through a relay with STARTTLS and AUTH ==");
    SendViaRelay.main(args);
    System.out.println();

    try (SendDirect direct = new SendDirect()) {
      direct.sendDirect();
      direct.queueAndDrain();
      direct.readBack();
    }

    Deliverability.run();
  }

  /** The message the demo sends: text, HTML, an inline image and an attachment. */
  static Message demoMessage() {
    byte[] png = tinyPng();
    return Message.builder()
        .from("Ana Lima <ana@shop.example>")
        .to("Bob <bob@example.org>, carla@example.net")
        .subject("Olá from mailcore ✉")
        .text("Hello!\nThis is the plain-text part.\n")
        .html("<p>Hello!</p><p>This is the <b>HTML</b> part.</p><img src=\"cid:logo\">")
        .inline("logo", "image/png", Content.ofBytes(png))
        .attach("relatório.txt", "text/plain", "Quarterly numbers: 42\n".getBytes(StandardCharsets.UTF_8))
        .header("X-Campaign", "demo")
        .build();
  }

  static void showStructure(Message message) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    message.writeTo(out);
    byte[] bytes = out.toByteArray();
    System.out.println("== 1. Build and render a message ==");
    System.out.println("Rendered " + bytes.length + " bytes; headers:");
    String text = new String(bytes, StandardCharsets.US_ASCII);
    System.out.println(indent(text.substring(0, text.indexOf("\r\n\r\n")), "  "));
    System.out.println("MIME structure:");
    MimeMessage parsed =
        new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
    printPart(parsed, "  ");
    System.out.println();
  }

  private static void printPart(Part part, String indent) throws Exception {
    String type = part.getContentType().split(";")[0].trim();
    StringBuilder line = new StringBuilder(indent).append(type);
    if (part.getFileName() != null) {
      line.append("  file=").append(part.getFileName());
    }
    if (part instanceof BodyPart bp && bp.getHeader("Content-ID") != null) {
      line.append("  cid=").append(bp.getHeader("Content-ID")[0]);
    }
    if (part.getDisposition() != null) {
      line.append("  (").append(part.getDisposition()).append(")");
    }
    System.out.println(line);
    if (part.isMimeType("multipart/*")) {
      Multipart mp = (Multipart) part.getContent();
      for (int i = 0; i < mp.getCount(); i++) {
        printPart(mp.getBodyPart(i), indent + "  ");
      }
    }
  }

  static String indent(String text, String prefix) {
    return prefix + text.replace("\r\n", "\n").replace("\n", "\n" + prefix);
  }

  private static byte[] tinyPng() {
    // a 1x1 transparent PNG
    return java.util.Base64.getDecoder()
        .decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");
  }
}
