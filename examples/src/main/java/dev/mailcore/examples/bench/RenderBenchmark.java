package dev.mailcore.examples.bench;

import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import jakarta.activation.DataHandler;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.IOException;
import java.io.OutputStream;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Date;
import java.util.Properties;
import java.util.Random;

/**
 * Compares how many 10 KB messages per second mailcore renders ({@code Message.builder()...
 * build().writeTo(out)}) with a plain Jakarta Mail loop ({@code new MimeMessage(session)}, setters,
 * {@code writeTo(out)}) doing the same work: From and To with non-ASCII display names, a non-ASCII
 * subject, a text body and an HTML alternative of about 4.5 KB each and a 1 KB attachment. Both
 * build their message inside the loop and write to the same counting null stream; the Jakarta
 * loop reuses one {@link Session} (with {@code mail.from} set, so Message-ID generation does not
 * ask the resolver for the local host name).
 *
 * <p>Rounds alternate between the two so that noise from other processes hits both alike; the
 * median of the measured rounds is reported. Arguments: {@code [warmupRounds [rounds
 * [millisPerRound]]]}, default 5 8 1000.
 *
 * <p>Run: {@code mvn -q -B -o -pl examples -am install -DskipTests} then {@code mvn -q -o -pl
 * examples exec:exec -Dexec.executable=java -Dexec.args="-cp %classpath
 * dev.mailcore.examples.bench.RenderBenchmark"} ({@code exec:java} runs the module's configured
 * {@code Demo} instead).
 */
public final class RenderBenchmark {
  private static final String SUBJECT = "Relatório mensal — março (quarterly figures attached)";
  private static final OffsetDateTime DATE = OffsetDateTime.of(2026, 3, 14, 9, 26, 53, 0, ZoneOffset.ofHours(1));

  private final String text;
  private final String html;
  private final byte[] attachment;
  private final Session session;

  private RenderBenchmark() {
    Random random = new Random(42);
    StringBuilder t = new StringBuilder();
    StringBuilder h = new StringBuilder("<html><body>\n");
    String[] words = {"invoice", "período", "total", "März", "delivery", "shipment", "naïve", "order", "café", "account"};
    while (t.length() < 4500) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < 10; i++) {
        line.append(words[random.nextInt(words.length)]).append(' ');
      }
      t.append(line.toString().trim()).append('\n');
      h.append("<p>").append(line.toString().trim()).append("</p>\n");
    }
    h.append("</body></html>\n");
    text = t.toString();
    html = h.toString();
    attachment = new byte[1024];
    random.nextBytes(attachment);
    Properties p = new Properties();
    p.setProperty("mail.from", "ana@shop.example");
    session = Session.getInstance(p);
  }

  public static void main(String[] args) throws Exception {
    int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    long millis = args.length > 2 ? Long.parseLong(args[2]) : 1000;
    RenderBenchmark b = new RenderBenchmark();
    CountingSink sink = new CountingSink();
    b.mailcore(sink);
    long mailcoreSize = sink.count;
    sink.count = 0;
    b.jakarta(sink);
    System.out.printf("message size: mailcore %d bytes, jakarta %d bytes%n", mailcoreSize, sink.count);

    for (int i = 0; i < warmup; i++) {
      b.rate(true, millis, sink);
      b.rate(false, millis, sink);
    }
    double[] mc = new double[rounds];
    double[] jm = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      mc[i] = b.rate(true, millis, sink);
      jm[i] = b.rate(false, millis, sink);
      System.out.printf("round %d: mailcore %.0f msgs/s, jakarta %.0f msgs/s%n", i + 1, mc[i], jm[i]);
    }
    double m = median(mc);
    double j = median(jm);
    System.out.printf("mailcore:     %.0f msgs/s (median of %d rounds)%n", m, rounds);
    System.out.printf("jakarta mail: %.0f msgs/s (median of %d rounds)%n", j, rounds);
    System.out.printf("ratio mailcore/jakarta: %.2fx%n", m / j);
  }

  private double rate(boolean mailcore, long millis, CountingSink sink) throws Exception {
    long end = System.nanoTime() + millis * 1_000_000;
    long start = System.nanoTime();
    int n = 0;
    long now;
    do {
      for (int i = 0; i < 50; i++) {
        if (mailcore) {
          mailcore(sink);
        } else {
          jakarta(sink);
        }
      }
      n += 50;
      now = System.nanoTime();
    } while (now < end);
    return n / ((now - start) / 1e9);
  }

  private void mailcore(OutputStream out) {
    Message.builder()
        .from(Mailbox.of("Ana Lima Gonçalves", "ana", "shop.example"))
        .to(Mailbox.of("Bob Müller", "bob", "example.org"))
        .subject(SUBJECT)
        .date(DATE)
        .text(text)
        .html(html)
        .attach("report.pdf", "application/pdf", attachment)
        .build()
        .writeTo(out);
  }

  private void jakarta(OutputStream out) throws MessagingException, IOException {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress("ana@shop.example", "Ana Lima Gonçalves", "UTF-8"));
    m.setRecipient(jakarta.mail.Message.RecipientType.TO,
        new InternetAddress("bob@example.org", "Bob Müller", "UTF-8"));
    m.setSubject(SUBJECT, "UTF-8");
    m.setSentDate(Date.from(DATE.toInstant()));
    MimeMultipart alternative = new MimeMultipart("alternative");
    MimeBodyPart textPart = new MimeBodyPart();
    textPart.setText(text, "UTF-8");
    alternative.addBodyPart(textPart);
    MimeBodyPart htmlPart = new MimeBodyPart();
    htmlPart.setText(html, "UTF-8", "html");
    alternative.addBodyPart(htmlPart);
    MimeBodyPart alternativePart = new MimeBodyPart();
    alternativePart.setContent(alternative);
    MimeMultipart mixed = new MimeMultipart("mixed");
    mixed.addBodyPart(alternativePart);
    MimeBodyPart file = new MimeBodyPart();
    file.setDataHandler(new DataHandler(new ByteArrayDataSource(attachment, "application/pdf")));
    file.setFileName("report.pdf");
    file.setDisposition(Part.ATTACHMENT);
    mixed.addBodyPart(file);
    m.setContent(mixed);
    m.writeTo(out);
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** Discards what is written, counting the bytes. */
  static final class CountingSink extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
