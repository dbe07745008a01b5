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
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
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
 * Compares fetching a mailbox of about 10 KB messages, header listing then whole bodies, over IMAP
 * and POP3: the naive Angus Mail loop (one FETCH, TOP or RETR per message, each waiting for its
 * reply) against mailcore's stores in the same run (IMAP: one batched {@code FETCH (ENVELOPE FLAGS
 * UID ...)} per 100 messages, and for bodies {@code prefetchBodies} fetching whole messages with
 * the batch; POP3: one UIDL and one LIST for the mailbox, then per batch of 100 TOP n 0 for
 * headers, or with {@code prefetchBodies} RETR and no TOP, pipelined on a second session when the
 * server lists PIPELINING, one command per round trip otherwise).
 *
 * <p>Two settings in one run: loopback, and through a {@link LatencyProxy} adding 25 ms each way
 * (50 ms round trip). The naive loops read only the first {@code naiveLimit} (loopback) and
 * {@code wanNaiveLimit} (50 ms) messages, every mailcore case the whole mailbox; rates are
 * messages per second, so the ratios compare like with like.
 *
 * <p>The server: by default an in-process GreenMail with a mailbox of {@code messages} (default
 * 1000) for loopback and one of {@code wanMessages} (default 200) for 50 ms. GreenMail sends a
 * multi-line reply in several writes with Nagle's algorithm on, so each waits for the client's
 * delayed ACK (about 40 ms), and at 5000 messages GreenMail itself becomes the bottleneck; its POP3
 * lists no PIPELINING. With the system property {@code bench.host} (and {@code bench.imapPort},
 * {@code bench.pop3Port}, {@code bench.user}, {@code bench.password}) the benchmark reads an
 * existing mailbox on that server instead, for both settings; {@code examples/bench/dovecot-bench.sh}
 * starts a private Dovecot with 5000 messages and runs it so.
 *
 * <p>Rounds alternate between the cases so that noise from other processes hits all alike; the
 * median of the rounds (after a warm-up round) is reported with the ratio to its naive baseline,
 * with this JVM's CPU time per message (the client's alone against an external server) and the
 * peak heap of each case (sum of the heap pools' peaks, an upper bound; GreenMail's mailboxes live
 * in the same heap). Arguments: {@code [messages [rounds [wanMessages [naiveLimit
 * [wanNaiveLimit]]]]]}, default 1000 2 200 300 200; {@code -Dbench.cases=POP3} (a regular expression found in the case
 * names) runs only the matching cases.
 *
 * <p>Run: {@code mvn -q -B -o -pl examples -am install -DskipTests} then {@code mvn -q -o -pl
 * examples exec:exec -Dexec.executable=java -Dexec.args="-Xmx256m -cp %classpath
 * dev.mailcore.examples.bench.FetchBenchmark"}, or {@code examples/bench/dovecot-bench.sh}.
 */
public final class FetchBenchmark {
  private static final String PASSWORD = "secret";

  /** Null when reading an external server. */
  private final GreenMail greenMail;

  /** One mailbox reached on given ports (the server's own, or a latency proxy's). */
  private record Target(
      String host, String user, String password, int imapPort, int pop3Port, int naiveLimit) {}

  /** Where the mailbox is: GreenMail in this JVM, or a server named by system properties. */
  private record Server(String host, int imapPort, int pop3Port, String user, String password) {}

  private FetchBenchmark(boolean external) {
    this.greenMail =
        external
            ? null
            : new GreenMail(
                new ServerSetup[] {
                  ServerSetupTest.IMAP.dynamicPort(), ServerSetupTest.POP3.dynamicPort()
                });
  }

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int wanMessages = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int naiveLimit = args.length > 3 ? Integer.parseInt(args[3]) : 300;
    int wanNaiveLimit = args.length > 4 ? Integer.parseInt(args[4]) : wanMessages;
    String host = System.getProperty("bench.host");
    FetchBenchmark b = new FetchBenchmark(host != null);
    try {
      if (host != null) {
        Server s =
            new Server(
                host,
                Integer.getInteger("bench.imapPort", 143),
                Integer.getInteger("bench.pop3Port", 110),
                System.getProperty("bench.user", "bench"),
                System.getProperty("bench.password", PASSWORD));
        b.runExternal(s, naiveLimit, wanNaiveLimit, rounds);
      } else {
        b.run(messages, wanMessages, rounds, naiveLimit, wanNaiveLimit);
      }
    } finally {
      if (b.greenMail != null) {
        b.greenMail.stop();
      }
    }
  }

  private void run(int messages, int wanMessages, int rounds, int naiveLimit, int wanNaiveLimit)
      throws Exception {
    greenMail.start();
    fill("bob", messages);
    fill("wan", wanMessages);
    int imap = greenMail.getImap().getPort();
    int pop3 = greenMail.getPop3().getPort();
    System.gc();
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    System.out.printf(
        "GreenMail: %d + %d messages of ~10 KB; heap used after GC %d MB of max %d MB%n",
        messages, wanMessages, heap.getUsed() >> 20, heap.getMax() >> 20);
    try (LatencyProxy imapWan = new LatencyProxy(imap, Duration.ofMillis(25));
        LatencyProxy pop3Wan = new LatencyProxy(pop3, Duration.ofMillis(25))) {
      Target loopback =
          new Target("127.0.0.1", "bob", PASSWORD, imap, pop3, Math.min(naiveLimit, messages));
      Target wan =
          new Target("127.0.0.1", "wan", PASSWORD, imapWan.port(), pop3Wan.port(),
              Math.min(wanNaiveLimit, wanMessages));
      measure(cases(loopback, wan), rounds);
    }
  }

  /**
   * Runs against a server outside this JVM (for example the Dovecot that {@code
   * examples/bench/dovecot-bench.sh} starts), one mailbox for both settings; the latency proxies
   * run here on loopback in front of its ports.
   */
  private void runExternal(Server s, int naiveLimit, int wanNaiveLimit, int rounds)
      throws Exception {
    Target direct = new Target(s.host(), s.user(), s.password(), s.imapPort(), s.pop3Port(), 0);
    int imapCount = count("imap", direct);
    int pop3Count = count("pop3", direct);
    System.out.printf(
        "external server %s: IMAP %d, POP3 %d messages for %s; max heap %d MB%n",
        s.host(), imapCount, pop3Count, s.user(),
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax() >> 20);
    int messages = Math.min(imapCount, pop3Count);
    try (LatencyProxy imapWan = new LatencyProxy(s.host(), s.imapPort(), Duration.ofMillis(25));
        LatencyProxy pop3Wan = new LatencyProxy(s.host(), s.pop3Port(), Duration.ofMillis(25))) {
      Target loopback =
          new Target(s.host(), s.user(), s.password(), s.imapPort(), s.pop3Port(),
              Math.min(naiveLimit, messages));
      Target wan =
          new Target("127.0.0.1", s.user(), s.password(), imapWan.port(), pop3Wan.port(),
              Math.min(wanNaiveLimit, messages));
      measure(cases(loopback, wan), rounds);
    }
  }

  private static Map<String, Case> cases(Target loopback, Target wan) {
    Map<String, Case> cases = new LinkedHashMap<>();
    for (Target t : List.of(loopback, wan)) {
      String where = t == loopback ? "loopback: " : "50 ms RTT: ";
      cases.put(where + "IMAP headers, naive Angus loop", () -> naive("imap", t, false));
      cases.put(where + "IMAP headers, mailcore list()", () -> list(imap(t).build(), false));
      cases.put(where + "IMAP bodies, naive Angus loop", () -> naive("imap", t, true));
      cases.put(
          where + "IMAP bodies, mailcore prefetchBodies",
          () -> list(imap(t).prefetchBodies(64 * 1024).build(), true));
      cases.put(where + "POP3 headers, naive Angus loop", () -> naive("pop3", t, false));
      cases.put(where + "POP3 headers, mailcore list()", () -> list(pop3(t).build(), false));
      cases.put(where + "POP3 bodies, naive Angus loop", () -> naive("pop3", t, true));
      cases.put(
          where + "POP3 bodies, mailcore prefetchBodies",
          () -> list(pop3(t).prefetchBodies(64 * 1024).build(), true));
    }
    // -Dbench.cases=REGEX (found in the case names) runs only those, e.g. for a profile
    String only = System.getProperty("bench.cases");
    if (only != null) {
      java.util.regex.Pattern p = java.util.regex.Pattern.compile(only);
      cases.keySet().removeIf(k -> !p.matcher(k).find());
    }
    return cases;
  }

  private static int count(String protocol, Target t) throws MessagingException {
    Store store = angus(protocol, t);
    try {
      jakarta.mail.Folder inbox = store.getFolder("INBOX");
      inbox.open(jakarta.mail.Folder.READ_ONLY);
      int n = inbox.getMessageCount();
      inbox.close(false);
      return n;
    } finally {
      store.close();
    }
  }

  private void fill(String user, int count) throws MessagingException {
    GreenMailUser u = greenMail.setUser(user + "@example.org", user, PASSWORD);
    Session plain = Session.getInstance(new Properties());
    Random random = new Random(42);
    for (int i = 0; i < count; i++) {
      u.deliver(message(plain, random, i));
    }
  }

  private static void measure(Map<String, Case> cases, int rounds) throws Exception {
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    Map<String, Long> peaks = new LinkedHashMap<>();
    Map<String, List<Double>> cpu = new LinkedHashMap<>();
    cases.keySet().forEach(k -> rates.put(k, new ArrayList<>()));
    cases.keySet().forEach(k -> cpu.put(k, new ArrayList<>()));
    // this JVM's CPU time: the client's alone when the server is external; with GreenMail, both
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    List<MemoryPoolMXBean> pools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .toList();
    for (int r = 0; r <= rounds; r++) {
      for (Map.Entry<String, Case> c : cases.entrySet()) {
        pools.forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        long cpuStart = os.getProcessCpuTime();
        long done = c.getValue().run();
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuMicros = (os.getProcessCpuTime() - cpuStart) / 1e3 / Math.max(done, 1);
        long peak = pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        peaks.merge(c.getKey(), peak, Math::max);
        if (r > 0) { // round 0 warms up
          rates.get(c.getKey()).add(done / seconds);
          cpu.get(c.getKey()).add(cpuMicros);
        }
        System.out.printf(
            "  round %d: %-50s %6d msgs %9.0f msg/s %6.0f us CPU/msg  peak heap %4d MB%n",
            r, c.getKey(), done, done / seconds, cpuMicros, peak >> 20);
      }
    }
    double baseline = 0;
    for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
      double median = median(e.getValue());
      boolean naive = e.getKey().contains("naive");
      if (naive) {
        baseline = median;
      }
      System.out.printf("%-50s %9.0f msg/s %6.0f us CPU/msg  peak heap %4d MB%s%n", e.getKey(),
          median, median(cpu.get(e.getKey())), peaks.get(e.getKey()) >> 20,
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

  private static Store angus(String protocol, Target t) throws MessagingException {
    Properties p = new Properties();
    p.setProperty("mail." + protocol + ".connectiontimeout", "30000");
    p.setProperty("mail." + protocol + ".timeout", "60000");
    Store store = Session.getInstance(p).getStore(protocol);
    store.connect(t.host(), protocol.equals("imap") ? t.imapPort() : t.pop3Port(), t.user(),
        t.password());
    return store;
  }

  /** Reads the first {@code t.naiveLimit()} messages one by one; returns how many. */
  private static long naive(String protocol, Target t, boolean bodies) throws Exception {
    Store store = angus(protocol, t);
    try {
      jakarta.mail.Folder inbox = store.getFolder("INBOX");
      inbox.open(jakarta.mail.Folder.READ_ONLY);
      int n = Math.min(inbox.getMessageCount(), t.naiveLimit());
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
      check(seen, t.naiveLimit());
      return seen;
    } finally {
      store.close();
    }
  }

  private static void check(long seen, int expected) {
    if (seen != expected) {
      throw new IllegalStateException("saw " + seen + " of " + expected + " messages");
    }
  }

  // ---- mailcore --------------------------------------------------------------------------------

  private static ImapStore.Builder imap(Target t) {
    return ImapStore.builder()
        .host(t.host())
        .port(t.imapPort())
        .tls(TlsMode.NONE)
        .allowPlaintext(true)
        .credentials(Credentials.password(t.user(), t.password()))
        .readTimeout(Duration.ofSeconds(60));
  }

  private static Pop3Store.Builder pop3(Target t) {
    return Pop3Store.builder()
        .host(t.host())
        .port(t.pop3Port())
        .tls(TlsMode.NONE)
        .allowPlaintext(true)
        .credentials(Credentials.password(t.user(), t.password()))
        .readTimeout(Duration.ofSeconds(60));
  }

  private static long list(MailStore store, boolean bodies) {
    try (store;
        Folder inbox = store.inbox();
        Stream<StoredMessage> s = inbox.list()) {
      long seen = s.mapToLong(m -> bodies ? drain(m) : headers(m)).sum();
      check(seen, inbox.messageCount());
      return seen;
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

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
