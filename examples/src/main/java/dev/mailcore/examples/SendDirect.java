package dev.mailcore.examples;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailcore.Envelope;
import dev.mailcore.MailStore;
import dev.mailcore.SyncState;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.DirectSender;
import dev.mailcore.smtp.mx.DnsMxResolver;
import dev.mailcore.smtp.mx.TestDnsServer;
import dev.mailcore.smtp.queue.FileQueueStore;
import dev.mailcore.smtp.queue.MailQueue;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueListener;
import dev.mailcore.smtp.queue.QueueStats;
import dev.mailcore.smtp.queue.QueueTransport;
import dev.mailcore.smtp.queue.RecipientState;
import dev.mailcore.smtp.queue.RetryPolicy;
import dev.mailcore.smtp.testing.RecordedTransaction;
import dev.mailcore.smtp.testing.ScriptedSmtpServer;
import dev.mailcore.smtp.testing.SmtpStep;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Direct delivery and the durable queue, on loopback only: an authoritative DNS server serves MX
 * records for four domains, GreenMail instances and a scripted server on 127.0.0.x play their mail
 * servers.
 *
 * <ul>
 *   <li>{@code example.org}: MX 10 on 127.0.0.4, where nothing listens (a dead primary), and MX 20
 *       on 127.0.0.2;
 *   <li>{@code example.net}: one MX on 127.0.0.3;
 *   <li>{@code greylist.example}: one MX on 127.0.0.6 that answers its first RCPT with 451;
 *   <li>{@code void.example}: a null MX (RFC 7505), which accepts no mail at all;
 *   <li>{@code shop.example}: the sender's own domain, MX on 127.0.0.5, where bounces arrive.
 * </ul>
 */
public final class SendDirect implements AutoCloseable {
  private static final Mailbox ANA = Mailbox.of("Ana Lima", "ana", "shop.example");

  private final int port;
  private final GreenMail exampleOrg;
  private final GreenMail exampleNet;
  private final ScriptedSmtpServer shop;
  private final ScriptedSmtpServer greylist;
  private final TestDnsServer dns;

  /** Starts the servers. */
  public SendDirect() throws IOException {
    port = freePortOnAll("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6");
    // bob's mailbox server also speaks IMAP and POP3, for reading the mail back
    exampleOrg =
        new GreenMail(
            new ServerSetup[] {
              new ServerSetup(port, "127.0.0.2", ServerSetup.PROTOCOL_SMTP),
              new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_IMAP).dynamicPort(),
              new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_POP3).dynamicPort()
            });
    exampleOrg.start();
    exampleOrg.setUser("bob@example.org", "bob", "bob-secret");
    exampleNet = greenMail("127.0.0.3");
    // GreenMail refuses the empty reverse-path of bounces, so the sender's own MX is scripted
    shop =
        ScriptedSmtpServer.builder()
            .bindAddress(InetAddress.getByName("127.0.0.5"))
            .port(port)
            .hostname("mx.shop.example")
            .start();
    greylist =
        ScriptedSmtpServer.builder()
            .bindAddress(InetAddress.getByName("127.0.0.6"))
            .port(port)
            .hostname("mx.greylist.example")
            .start();
    greylist.reply(SmtpStep.RCPT, 1, "451 4.7.1 Greylisted, please try again later");
    dns =
        TestDnsServer.builder()
            .zone(
                "example.org",
                """
                @    300 IN MX 10 mx1
                @    300 IN MX 20 mx2
                mx1  300 IN A 127.0.0.4
                mx2  300 IN A 127.0.0.2
                """)
            .zone("example.net", "@ 300 IN MX 10 mail\nmail 300 IN A 127.0.0.3\n")
            .zone("greylist.example", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.6\n")
            .zone("void.example", "@ 300 IN MX 0 .\n")
            .zone("shop.example", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.5\n")
            .start();
  }

  /** Runs the example on its own. */
  public static void main(String[] args) throws Exception {
    try (SendDirect demo = new SendDirect()) {
      demo.sendDirect();
      demo.queueAndDrain();
      demo.readBack();
    }
  }

  /** A {@link DirectSender} that asks the embedded DNS server and uses the servers' port. */
  DirectSender sender() {
    DnsMxResolver resolver = DnsMxResolver.builder().server(dns.address()).timeout(Duration.ofSeconds(2)).build();
    return DirectSender.builder()
        .resolver(resolver)
        .mxPort(port)
        .ehloName("mail.shop.example")
        .connectTimeout(Duration.ofSeconds(2))
        .tls(TlsMode.STARTTLS_IF_OFFERED)
        .build();
  }

  /** Sends one message to two domains straight to their MX hosts and shows who took what. */
  public void sendDirect() {
    System.out.println("== 3. Direct delivery over MX records (embedded DNS on " + dns.address() + ") ==");
    Message message =
        Message.builder()
            .from(ANA)
            .to("Bob <bob@example.org>")
            .cc("carla@example.net")
            .subject("Straight to your MX")
            .text("Delivered without a relay.\n")
            .build();
    try (DirectSender sender = sender()) {
      SendResult result = sender.send(message);
      for (RecipientResult r : result.recipients()) {
        System.out.printf(
            "  %-20s %-9s via %-18s %s%n",
            r.recipient().address(), r.status(), r.remoteHost().orElse("-"), r.diagnostic());
      }
    }
    System.out.println(
        "  (mx1.example.org on 127.0.0.4 is down: the backup mx2 took bob's copy; GreenMail on 127.0.0.2 holds "
            + exampleOrg.getReceivedMessages().length + " message)");
    System.out.println();
  }

  /** Queues a batch to several domains, shows progress while it drains, then shows the bounce. */
  public void queueAndDrain() throws Exception {
    System.out.println("== 4. Durable queue: enqueue, retry, bounce ==");
    Path dir = Files.createTempDirectory("mailcore-demo-queue");
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    List<String> events = new ArrayList<>();
    QueueListener listener =
        new QueueListener() {
          @Override
          public void attemptFinished(QueueEntry entry, List<RecipientResult> results) {
            for (RecipientResult r : results) {
              synchronized (events) {
                events.add(String.format("  attempt: %-22s %-9s %s", r.recipient().address(), r.status(), r.diagnostic()));
              }
            }
          }

          @Override
          public void bounced(QueueEntry entry, List<RecipientState> failed, Optional<dev.mailcore.smtp.queue.QueueId> dsn) {
            synchronized (events) {
              events.add("  bounce queued for " + entry.envelope().reversePath().map(Mailbox::address).orElse("<>")
                  + " covering " + failed.size() + " recipient(s)");
            }
          }
        };
    try (DirectSender sender = sender();
        MailQueue queue =
            MailQueue.builder()
                .store(FileQueueStore.open(dir))
                .transport(QueueTransport.direct(sender))
                .scheduler(scheduler)
                // demo-sized back-off; the default is 5 minutes doubling to an hour
                .retry(RetryPolicy.exponential(Duration.ofSeconds(1), 2, Duration.ofSeconds(4)))
                .listener(listener)
                .hostname("mail.shop.example")
                .build()) {
      String[][] batch = {
        {"bob@example.org", "Order 1001"},
        {"carla@example.net", "Order 1002"},
        {"dora@greylist.example", "Order 1003"},
        {"nobody@void.example", "Order 1004"},
      };
      for (String[] b : batch) {
        Message m = Message.builder().from(ANA).to(b[0]).subject(b[1]).text("Thank you for your order.\n").build();
        queue.enqueue(Envelope.of(m), m);
      }
      System.out.println("  enqueued " + batch.length + " messages; each was on disk (" + dir + ") before enqueue returned");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int printed = 0;
      while (System.nanoTime() < deadline) {
        QueueStats s = queue.stats();
        synchronized (events) {
          for (; printed < events.size(); printed++) {
            System.out.println(events.get(printed));
          }
        }
        System.out.printf(
            "  queue: %d message(s), %d pending, %d deferred, %d in flight%n",
            s.entries(), s.pending(), s.deferred(), s.inFlight());
        if (s.isEmpty()) {
          break;
        }
        Thread.sleep(700);
      }
    } finally {
      scheduler.shutdownNow();
    }
    System.out.println("  greylist.example took its copy on the retry: " + greylist.transactions().size() + " transaction(s)");
    for (RecordedTransaction t : shop.transactions()) {
      MimeMessage dsn =
          new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(t.data()));
      System.out.println(
          "  ana's MX received from <" + t.reversePath() + ">: \"" + dsn.getSubject() + "\" ("
              + dsn.getContentType().replaceAll("\\s+", " ") + ")");
      if (dsn.getContent() instanceof Multipart mp) {
        for (int i = 0; i < mp.getCount(); i++) {
          BodyPart part = mp.getBodyPart(i);
          if (part.isMimeType("message/delivery-status")) {
            try (InputStream in = part.getInputStream()) {
              String status = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
              System.out.println(Demo.indent(status.strip(), "    "));
            }
          }
        }
      }
    }
    System.out.println();
  }

  /** Reads bob's mailbox back over IMAP and over POP3, through the same MailStore code. */
  public void readBack() {
    System.out.println("== 5. Read the mail back: IMAP and POP3 behind one MailStore interface ==");
    String host = "127.0.0.1";
    try (MailStore imap = FetchImap.open(host, exampleOrg.getImap().getPort(), "bob", "bob-secret")) {
      ReadMailbox.show("IMAP", imap, SyncState.initial());
    }
    try (MailStore pop3 = FetchPop3.open(host, exampleOrg.getPop3().getPort(), "bob", "bob-secret")) {
      ReadMailbox.show("POP3", pop3, SyncState.initial());
    }
    System.out.println();
  }

  private GreenMail greenMail(String ip) {
    GreenMail g = new GreenMail(new ServerSetup(port, ip, ServerSetup.PROTOCOL_SMTP));
    g.start();
    return g;
  }

  private static int freePortOnAll(String... ips) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int candidate;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ips[0]))) {
        candidate = s.getLocalPort();
      }
      boolean free = true;
      for (String ip : ips) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress(InetAddress.getByName(ip), candidate));
        } catch (IOException e) {
          free = false; // taken on this address: try another port
          break;
        }
      }
      if (free) {
        return candidate;
      }
    }
    throw new IOException("no port free on all of " + String.join(", ", ips));
  }

  @Override
  public void close() {
    dns.close();
    greylist.close();
    exampleOrg.stop();
    exampleNet.stop();
    shop.close();
  }
}
