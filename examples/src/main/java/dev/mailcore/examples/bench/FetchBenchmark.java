package dev.mailcore.examples.bench;

import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.mailcore.Credentials;
import dev.mailcore.Folder;
import dev.mailcore.MailStore;
import dev.mailcore.StoredMessage;
import dev.mailcore.TlsMode;
import dev.mailcore.imap.ImapStore;
import dev.mailcore.pop3.Pop3Store;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Compares fetching a mailbox of 5,000 messages of about 10 KB from an in-process GreenMail on
 * loopback, header listing then whole bodies, over IMAP and POP3: the naive Angus Mail loop (one
 * FETCH, TOP or RETR per message, each waiting for its reply) against mailcore's stores in the
 * same run (IMAP: one batched {@code FETCH (ENVELOPE FLAGS UID ...)} per 100 messages, and for
 * bodies {@code prefetchBodies} fetching whole messages with the batch; POP3: one UIDL and one
 * LIST for the mailbox, then TOP/RETR per message as POP3 without pipelining must).
 *
 * <p>Rounds alternate between the cases so that noise from other processes hits all alike; the
 * median of the rounds is reported with the ratio to its naive baseline. Arguments: {@code
 * [messages [rounds]]}, default 5000 3.
 *
 * <p>Run: {@code mvn -q -B -o -pl examples -am install -DskipTests} then {@code mvn -q -o -pl
 * examples exec:exec -Dexec.executable=java -Dexec.args="-Xmx1g -cp %classpath
 * dev.mailcore.examples.bench.FetchBenchmark"}.
 */
public final class FetchBenchmark {
  private static final String USER = "bob";
  private static final String PASSWORD = "secret";

  private final GreenMail greenMail;
  private final int count;

  private FetchBenchmark(int count) {
    this.count = count;
    this.greenMail =
        new GreenMail(
            new ServerSetup[] {ServerSetupTest.IMAP.dynamicPort(), ServerSetupTest.POP3.dynamicPort()});
  }

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    FetchBenchmark b = new FetchBenchmark(messages);
    try {
      b.run(rounds);
    } finally {
      b.greenMail.stop();
    }
  }

  private void run(int rounds) throws Exception {
    greenMail.start();
    GreenMailUser user = greenMail.setUser("bob@example.org", USER, PASSWORD);
    Session plain = Session.getInstance(new Properties());
    Random random = new Random(42);
    for (int i = 0; i < count; i++) {
      user.deliver(message(plain, random, i));
    }
    System.out.printf("%d messages of ~10 KB in GreenMail (IMAP %d, POP3 %d)%n",
        count, greenMail.getImap().getPort(), greenMail.getPop3().getPort());

    Map<String, Case> cases = new LinkedHashMap<>();
    cases.put("IMAP headers, naive Angus loop", this::imapHeadersNaive);
    cases.put("IMAP headers, mailcore list()", this::imapHeadersMailcore);
    cases.put("IMAP bodies, naive Angus loop", this::imapBodiesNaive);
    cases.put("IMAP bodies, mailcore list()+prefetchBodies", this::imapBodiesMailcore);
    cases.put("POP3 headers, naive Angus loop", this::pop3HeadersNaive);
    cases.put("POP3 headers, mailcore list()", this::pop3HeadersMailcore);
    cases.put("POP3 bodies, naive Angus loop", this::pop3BodiesNaive);
    cases.put("POP3 bodies, mailcore list()+openContent", this::pop3BodiesMailcore);

    Map<String, List<Double>> rates = new LinkedHashMap<>();
    cases.keySet().forEach(k -> rates.put(k, new ArrayList<>()));
    for (int r = 0; r <= rounds; r++) {
      for (Map.Entry<String, Case> c : cases.entrySet()) {
        long start = System.nanoTime();
        long done = c.getValue().run();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (done != count) {
          throw new IllegalStateException(c.getKey() + " saw " + done + " of " + count);
        }
        if (r > 0) { // round 0 warms up
          rates.get(c.getKey()).add(count / seconds);
        }
        System.out.printf("  round %d: %-48s %8.0f msg/s%n", r, c.getKey(), count / seconds);
      }
    }
    double baseline = 0;
    for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
      double median = median(e.getValue());
      boolean naive = e.getKey().contains("naive");
      if (naive) {
        baseline = median;
      }
      System.out.printf("%-48s %9.0f msg/s%s%n", e.getKey(), median,
          naive ? "" : String.format("  (%.2fx the naive loop)", median / baseline));
    }
  }

  @FunctionalInterface
  private interface Case {
    long run() throws Exception;
  }

  private static MimeMessage message(Session s, Random random, int i) throws MessagingException {
    MimeMessage m = new MimeMessage(s);
    m.setFrom(new InternetAddress("ana" + (i % 50) + "@shop.example"));
    m.setRecipient(Message.RecipientType.TO, new InternetAddress("bob@example.org"));
    m.setSubject("Order " + i + " shipped");
    m.setSentDate(new java.util.Date(1_700_000_000_000L + i * 60_000L));
    StringBuilder text = new StringBuilder(10_300);
    String[] words = {"invoice", "delivery", "total", "shipment", "order", "account", "parcel"};
    while (text.length() < 10_000) {
      for (int w = 0; w < 10; w++) {
        text.append(words[random.nextInt(words.length)]).append(' ');
      }
      text.append("\r\n");
    }
    m.setText(text.toString(), "US-ASCII");
    m.saveChanges();
    return m;
  }

  // ---- naive Angus loops ---------------------------------------------------------------------

  private Store angus(String protocol, int port) throws MessagingException {
    Properties p = new Properties();
    p.setProperty("mail." + protocol + ".connectiontimeout", "30000");
    p.setProperty("mail." + protocol + ".timeout", "60000");
    Store store = Session.getInstance(p).getStore(protocol);
    store.connect("127.0.0.1", port, USER, PASSWORD);
    return store;
  }

  private long naive(String protocol, int port, boolean bodies) throws Exception {
    Store store = angus(protocol, port);
    try {
      jakarta.mail.Folder inbox = store.getFolder("INBOX");
      inbox.open(jakarta.mail.Folder.READ_ONLY);
      int n = inbox.getMessageCount();
      long seen = 0;
      for (int i = 1; i <= n; i++) {
        Message m = inbox.getMessage(i);
        if (bodies) {
          m.writeTo(OutputStream.nullOutputStream()); // FETCH BODY[] or RETR, one by one
        } else {
          m.getSubject(); // FETCH ENVELOPE or TOP n 0, one by one
          m.getFrom();
        }
        seen++;
      }
      inbox.close(false);
      return seen;
    } finally {
      store.close();
    }
  }

  private long imapHeadersNaive() throws Exception {
    return naive("imap", greenMail.getImap().getPort(), false);
  }

  private long imapBodiesNaive() throws Exception {
    return naive("imap", greenMail.getImap().getPort(), true);
  }

  private long pop3HeadersNaive() throws Exception {
    return naive("pop3", greenMail.getPop3().getPort(), false);
  }

  private long pop3BodiesNaive() throws Exception {
    return naive("pop3", greenMail.getPop3().getPort(), true);
  }

  // ---- mailcore --------------------------------------------------------------------------------

  private ImapStore.Builder imap() {
    return ImapStore.builder()
        .host("127.0.0.1")
        .port(greenMail.getImap().getPort())
        .tls(TlsMode.NONE)
        .allowPlaintext(true)
        .credentials(Credentials.password(USER, PASSWORD))
        .readTimeout(Duration.ofSeconds(60));
  }

  private Pop3Store pop3() {
    return Pop3Store.builder()
        .host("127.0.0.1")
        .port(greenMail.getPop3().getPort())
        .tls(TlsMode.NONE)
        .allowPlaintext(true)
        .credentials(Credentials.password(USER, PASSWORD))
        .readTimeout(Duration.ofSeconds(60))
        .build();
  }

  private static long list(MailStore store, boolean bodies) {
    try (store;
        Folder inbox = store.inbox();
        Stream<StoredMessage> s = inbox.list()) {
      return s.mapToLong(m -> bodies ? drain(m) : headers(m)).sum();
    }
  }

  private static long headers(StoredMessage m) {
    m.subject();
    m.header("From");
    return 1;
  }

  private static long drain(StoredMessage m) {
    try (InputStream in = m.openContent()) {
      in.transferTo(OutputStream.nullOutputStream());
      return 1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private long imapHeadersMailcore() {
    return list(imap().build(), false);
  }

  private long imapBodiesMailcore() {
    return list(imap().prefetchBodies(64 * 1024).build(), true);
  }

  private long pop3HeadersMailcore() {
    return list(pop3(), false);
  }

  private long pop3BodiesMailcore() {
    return list(pop3(), true);
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
