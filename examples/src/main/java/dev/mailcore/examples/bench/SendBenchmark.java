package dev.mailcore.examples.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.SendResult;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.RenderedMessage;
import dev.mailcore.smtp.SmtpRelay;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.SocketFactory;

/**
 * Compares sending throughput of {@link SmtpRelay} with Angus Mail's {@code Transport}, in the
 * same run, over loopback and through a proxy adding 25 ms each way (50 ms RTT): messages per
 * second and the client JVM's CPU seconds. The SMTP sinks ({@link SmtpSink}, with PIPELINING and
 * CHUNKING switched per scenario) and the proxies ({@link LatencyProxy}) run in a child JVM, so
 * the CPU figure is the sending side's alone.
 *
 * <p>Angus runs with TCP_NODELAY set through a socket factory (the fair baseline) and once as
 * shipped (Nagle on). Message: about 10 KB of plain text, one recipient.
 *
 * <p>Arguments: {@code [loopbackMessages [latencyScale]]}, default 20000 and 1.0 (the latency
 * scenarios send a count proportional to their expected speed, about 10 s each at scale 1).
 *
 * <p>Run: {@code mvn -q -B -o -pl examples -am package -DskipTests dependency:build-classpath
 * -Dmdep.outputFile=target/cp.txt} then {@code java -cp examples/target/classes:$(cat examples/target/cp.txt)
 * dev.mailcore.examples.bench.SendBenchmark}.
 */
public final class SendBenchmark {
  private static final Mailbox FROM = Mailbox.of("bench", "sender.test");
  private static final Mailbox TO = Mailbox.of("sink", "receiver.test");
  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private final byte[] message = message();
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private final List<String> rows = new ArrayList<>();
  private final Map<String, Double> rates = new LinkedHashMap<>();
  private final Map<String, Double> cpuPerMessage = new LinkedHashMap<>();

  private record Figures(int messages, double seconds, double cpuSeconds) {
    double rate() {
      return messages / seconds;
    }
  }

  @FunctionalInterface
  private interface Scenario {
    void run(int messages) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--serve")) {
      serve();
      return;
    }
    int loopback = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    double scale = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
    new SendBenchmark().run(loopback, scale);
  }

  /** Child JVM: sinks and proxies; prints their ports, runs until stdin closes. */
  private static void serve() throws IOException {
    SmtpSink plain = new SmtpSink(false, false);
    SmtpSink pipelining = new SmtpSink(true, false);
    SmtpSink chunking = new SmtpSink(true, true);
    LatencyProxy slowPlain = new LatencyProxy(plain.port(), Duration.ofMillis(25));
    LatencyProxy slowPipelining = new LatencyProxy(pipelining.port(), Duration.ofMillis(25));
    LatencyProxy slowChunking = new LatencyProxy(chunking.port(), Duration.ofMillis(25));
    System.out.println("PORTS " + plain.port() + " " + pipelining.port() + " " + chunking.port() + " "
        + slowPlain.port() + " " + slowPipelining.port() + " " + slowChunking.port());
    System.out.flush();
    while (System.in.read() >= 0) {
      // wait for the parent to finish
    }
  }

  private void run(int loopback, double scale) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(SendBenchmark.class.getName());
    command.add("--serve");
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
      String[] p = reader.readLine().split(" ");
      String[] names = {"plain", "pipelining", "chunking", "slow-plain", "slow-pipelining", "slow-chunking"};
      for (int i = 0; i < names.length; i++) {
        ports.put(names[i], Integer.parseInt(p[i + 1]));
      }
      scenarios(loopback, scale);
    } finally {
      child.getOutputStream().close();
      child.destroy();
    }
  }

  private void scenarios(int loopback, double scale) throws Exception {
    System.out.printf("message %d bytes; loopback %d messages; latency 25 ms each way%n", message.length, loopback);
    // warm-up, not reported
    relay("pipelining", 1, true).run(Math.min(loopback, 3000));
    relay("chunking", 1, true).run(Math.min(loopback, 3000));
    angusReused("pipelining", 1, true).run(Math.min(loopback, 2000));

    System.out.println("\n== loopback ==");
    measure("angus Transport.send, new connection each", angusNaive("plain", true), Math.max(200, loopback / 10));
    measure("angus Transport.send as shipped (Nagle on)", angusNaive("plain", false), 100);
    measure("angus reused connection as shipped (Nagle on)", angusReused("plain", 1, false), 100);
    measure("angus reused connection", angusReused("plain", 1, true), loopback);
    measure("angus reused connections, 4 threads", angusReused("plain", 4, true), loopback);
    measure("angus reused connections, 16 threads", angusReused("plain", 16, true), loopback);
    measure("SmtpRelay 1 session, PIPELINING, no streaming", relay("pipelining", 1, false), loopback);
    measure("SmtpRelay 1 session, PIPELINING, streaming", relay("pipelining", 1, true), loopback);
    measure("SmtpRelay 1 session, PIPELINING+CHUNKING, streaming", relay("chunking", 1, true), loopback);
    measure("SmtpRelay 4 sessions, PIPELINING+CHUNKING", relay("chunking", 4, true), loopback);
    measure("SmtpRelay 16 sessions, PIPELINING+CHUNKING", relay("chunking", 16, true), loopback);

    System.out.println("\n== 50 ms RTT ==");
    measure("RTT angus Transport.send, new connection each", angusNaive("slow-plain", true), count(20, scale));
    measure("RTT angus reused connection", angusReused("slow-plain", 1, true), count(50, scale));
    measure("RTT angus reused connections, 16 threads", angusReused("slow-plain", 16, true), count(800, scale));
    measure("RTT SmtpRelay 1 session, PIPELINING, no streaming", relay("slow-pipelining", 1, false), count(100, scale));
    measure("RTT SmtpRelay 1 session, PIPELINING, streaming", relay("slow-pipelining", 1, true), count(200, scale));
    measure("RTT SmtpRelay 1 session, PIPELINING+CHUNKING, streaming", relay("slow-chunking", 1, true), count(2000, scale));
    measure("RTT SmtpRelay 4 sessions, PIPELINING+CHUNKING", relay("slow-chunking", 4, true), count(6000, scale));
    measure("RTT SmtpRelay 16 sessions, PIPELINING+CHUNKING", relay("slow-chunking", 16, true), count(12000, scale));

    System.out.println("\n== summary ==");
    rows.forEach(System.out::println);
    ratio("loopback: relay 1 session (chunking, streaming) / angus reused",
        "SmtpRelay 1 session, PIPELINING+CHUNKING, streaming", "angus reused connection");
    ratio("loopback: relay 1 session (pipelining, streaming) / angus reused",
        "SmtpRelay 1 session, PIPELINING, streaming", "angus reused connection");
    cpuRatio("loopback CPU per message: relay 1 session / angus reused",
        "SmtpRelay 1 session, PIPELINING+CHUNKING, streaming", "angus reused connection");
    ratio("50 ms RTT: relay pipelining alone, no streaming / angus reused",
        "RTT SmtpRelay 1 session, PIPELINING, no streaming", "RTT angus reused connection");
    ratio("50 ms RTT: relay pipelining alone, streaming / angus reused",
        "RTT SmtpRelay 1 session, PIPELINING, streaming", "RTT angus reused connection");
    ratio("50 ms RTT: relay streaming with CHUNKING / angus reused",
        "RTT SmtpRelay 1 session, PIPELINING+CHUNKING, streaming", "RTT angus reused connection");
    ratio("50 ms RTT: relay 16 sessions / angus Transport.send",
        "RTT SmtpRelay 16 sessions, PIPELINING+CHUNKING", "RTT angus Transport.send, new connection each");
  }

  private static int count(int base, double scale) {
    return Math.max(10, (int) Math.round(base * scale));
  }

  private void measure(String name, Scenario scenario, int messages) throws Exception {
    long cpu0 = OS.getProcessCpuTime();
    long t0 = System.nanoTime();
    scenario.run(messages);
    double seconds = (System.nanoTime() - t0) / 1e9;
    double cpu = (OS.getProcessCpuTime() - cpu0) / 1e9;
    Figures f = new Figures(messages, seconds, cpu);
    rates.put(name, f.rate());
    cpuPerMessage.put(name, cpu * 1000 / messages);
    String row = String.format("%-58s %7d msgs %8.2f s %9.1f msg/s  CPU %6.2f s (%.3f ms/msg)",
        name, messages, seconds, f.rate(), cpu, cpu * 1000 / messages);
    rows.add(row);
    System.out.println(row);
  }

  private void ratio(String label, String a, String b) {
    if (rates.containsKey(a) && rates.containsKey(b)) {
      System.out.printf("%-70s %6.2fx%n", label, rates.get(a) / rates.get(b));
    }
  }

  private void cpuRatio(String label, String a, String b) {
    if (cpuPerMessage.containsKey(a) && cpuPerMessage.containsKey(b)) {
      System.out.printf("%-70s %6.2fx%n", label, cpuPerMessage.get(a) / cpuPerMessage.get(b));
    }
  }

  // ------------------------------------------------------------ mailcore

  private Scenario relay(String sink, int sessions, boolean streaming) {
    return messages -> {
      Content content = Content.ofBytes(message);
      Envelope envelope = Envelope.of(FROM, List.of(TO));
      List<RenderedMessage> batch = new ArrayList<>(messages);
      for (int i = 0; i < messages; i++) {
        batch.add(RenderedMessage.of(envelope, content));
      }
      try (SmtpRelay relay = SmtpRelay.builder().host("127.0.0.1").port(ports.get(sink)).tls(TlsMode.NONE)
          .maxConnections(sessions).maxMessagesPerSession(1_000_000).streaming(streaming).build()) {
        List<SendResult> results = relay.sendAllRendered(batch);
        long delivered = results.stream().filter(SendResult::isAllDelivered).count();
        if (delivered != messages) {
          throw new IllegalStateException("only " + delivered + " of " + messages + " delivered");
        }
      }
    };
  }

  // ------------------------------------------------------------ Angus Mail

  /** Creates sockets with TCP_NODELAY, the fair baseline for Angus Mail. */
  static final class NoDelaySocketFactory extends SocketFactory {
    @Override
    public Socket createSocket() throws IOException {
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      Socket s = new Socket(host, port);
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
      Socket s = new Socket(host, port, local, localPort);
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      Socket s = new Socket(host, port);
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort) throws IOException {
      Socket s = new Socket(address, port, local, localPort);
      s.setTcpNoDelay(true);
      return s;
    }
  }

  private Session angusSession(String sink, boolean noDelay) {
    Properties props = new Properties();
    props.put("mail.smtp.host", "127.0.0.1");
    props.put("mail.smtp.port", String.valueOf(ports.get(sink)));
    props.put("mail.smtp.connectiontimeout", "30000");
    props.put("mail.smtp.timeout", "300000");
    props.put("mail.smtp.localhost", "bench.test");
    if (noDelay) {
      props.put("mail.smtp.socketFactory", new NoDelaySocketFactory());
      props.put("mail.smtp.socketFactory.fallback", "false");
    }
    return Session.getInstance(props);
  }

  private MimeMessage angusMessage(Session session) throws MessagingException {
    return new MimeMessage(session, new ByteArrayInputStream(message));
  }

  private Scenario angusNaive(String sink, boolean noDelay) {
    return messages -> {
      Session session = angusSession(sink, noDelay);
      MimeMessage m = angusMessage(session);
      for (int i = 0; i < messages; i++) {
        Transport.send(m);
      }
    };
  }

  private Scenario angusReused(String sink, int threads, boolean noDelay) {
    return messages -> {
      Session session = angusSession(sink, noDelay);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      AtomicInteger left = new AtomicInteger(messages);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          MimeMessage m = angusMessage(session);
          Address[] to = m.getAllRecipients();
          try (Transport transport = session.getTransport("smtp")) {
            transport.connect();
            while (left.getAndDecrement() > 0) {
              transport.sendMessage(m, to);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      pool.shutdown();
    };
  }

  private static byte[] message() {
    StringBuilder b = new StringBuilder(10_500);
    b.append("From: Bench <bench@sender.test>\r\n")
        .append("To: Sink <sink@receiver.test>\r\n")
        .append("Subject: benchmark message\r\n")
        .append("Date: Tue, 1 Dec 2026 08:00:00 +0000\r\n")
        .append("Message-ID: <bench@sender.test>\r\n")
        .append("MIME-Version: 1.0\r\n")
        .append("Content-Type: text/plain; charset=us-ascii\r\n")
        .append("Content-Transfer-Encoding: 7bit\r\n\r\n");
    int line = 0;
    while (b.length() < 10_000) {
      b.append("Line ").append(line++).append(": the quick brown fox jumps over the lazy dog, again and again.\r\n");
    }
    return b.toString().getBytes(StandardCharsets.US_ASCII);
  }
}
