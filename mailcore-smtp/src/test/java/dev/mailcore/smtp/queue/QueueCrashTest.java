package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM that enqueues and delivers (SIGKILL, at random moments, several rounds), then
 * reopens the queue and checks that nothing acknowledged was lost and that duplicates stay within
 * the transactions that can be in flight at a kill.
 */
@Timeout(180)
class QueueCrashTest {

  static final int ROUNDS = 3;
  static final int PER_ROUND = 1500;
  static final Pattern TOKEN = Pattern.compile("X-Token: (\\S+)");

  @TempDir Path tmp;

  @Test
  void everyAcknowledgedMessageIsDeliveredAfterKills() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Path dir = tmp.resolve("queue");
    Set<String> acked = new HashSet<>();
    int unrecorded = 0;
    try (TestSmtpServer server = new TestSmtpServer()) {
      for (int round = 1; round <= ROUNDS; round++) {
        int killAfter = 100 + random.nextInt(PER_ROUND - 200);
        List<String> lines = runAndKill(dir, server.port(), "r" + round, killAfter, round);
        server.awaitNoOpenSessions(Duration.ofSeconds(30));
        unrecorded += unrecordedAtKill(dir, server);
        for (String line : lines) {
          if (line.startsWith("ACK ")) {
            acked.add(line.substring(4));
          }
        }
      }
      int delivered = server.received().size();

      RecordingListener listener = new RecordingListener();
      FileQueueStore store = FileQueueStore.open(dir);
      int left = store.size();
      try (MailQueue queue =
          MailQueue.builder()
              .store(store)
              .transport(new JakartaTransport(server.port()))
              .workers(4)
              .domainConcurrency(4)
              .listener(listener)
              .build()) {
        awaitFinished(listener, left);
        assertThat(queue.stats().isEmpty()).isTrue();
      }

      Map<String, Integer> counts = new HashMap<>();
      for (TestSmtpServer.Received r : server.received()) {
        Matcher m = TOKEN.matcher(r.text());
        assertThat(m.find()).isTrue();
        counts.merge(m.group(1), 1, Integer::sum);
      }
      List<String> lost = acked.stream().filter(t -> !counts.containsKey(t)).sorted().toList();
      int duplicates = counts.values().stream().mapToInt(c -> c - 1).sum();
      String info =
          "seed "
              + seed
              + ", acked "
              + acked.size()
              + ", delivered before reopen "
              + delivered
              + ", left "
              + left
              + ", unrecorded at the kills "
              + unrecorded
              + ", duplicates "
              + duplicates;
      System.out.println("crash test: " + info);
      assertThat(lost).as(info).isEmpty();
      // sent twice only: what the server had taken whose outcome was not yet durable at a kill
      assertThat(duplicates).as(info).isLessThanOrEqualTo(unrecorded);
      // outcomes go to the journal's group commit right after each transaction: a small window
      assertThat(unrecorded).as(info).isLessThanOrEqualTo(ROUNDS * 4 * QueueCrashChild.WORKERS);
      assertThat(acked).as(info).hasSizeGreaterThanOrEqualTo(ROUNDS * 100);
    }
  }

  /**
   * Counts the entries still queued after a kill whose message the server already took: the
   * transactions in flight at the kill, and outcomes delivered but not yet durable.
   */
  private static int unrecordedAtKill(Path dir, TestSmtpServer server) throws Exception {
    Set<String> received = new HashSet<>();
    for (TestSmtpServer.Received r : server.received()) {
      Matcher m = TOKEN.matcher(r.text());
      if (m.find()) {
        received.add(m.group(1));
      }
    }
    int n = 0;
    try (FileQueueStore store = FileQueueStore.open(dir)) {
      for (QueueEntry e : store.entries()) {
        try (java.io.InputStream in = store.message(e.id()).open()) {
          Matcher m = TOKEN.matcher(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
          if (m.find() && received.contains(m.group(1))) {
            n++;
          }
        }
      }
    }
    return n;
  }

  private List<String> runAndKill(Path dir, int port, String round, int killAfter, int n)
      throws Exception {
    ProcessBuilder pb =
        childJvm(
            QueueCrashChild.class,
            dir.toString(),
            Integer.toString(port),
            round,
            Integer.toString(PER_ROUND));
    pb.redirectError(tmp.resolve("child-" + n + ".err").toFile());
    Process p = pb.start();
    List<String> lines = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                  }
                }
              } catch (java.io.IOException e) {
                // the pipe closed with the killed process; what was read is kept
              }
            });
    reader.start();
    try {
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      synchronized (lines) {
        while (lines.stream().filter(l -> l.startsWith("ACK ")).count() < killAfter
            && !lines.contains("ENQUEUED")
            && p.isAlive()
            && System.nanoTime() < end) {
          lines.wait(100);
        }
      }
      p.destroyForcibly();
      p.waitFor();
      reader.join(10_000);
    } finally {
      p.destroyForcibly();
    }
    synchronized (lines) {
      assertThat(lines).as("child %s started (see child-%s.err)", round, n).contains("READY");
      return List.copyOf(lines);
    }
  }

  /** A small JVM on this test class path running {@code main} with {@code args}. */
  static ProcessBuilder childJvm(Class<?> main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-Xmx128m",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp",
            System.getProperty("java.class.path"),
            main.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  private static void awaitFinished(RecordingListener listener, int n) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    synchronized (listener) {
      while (listener.count("finished") < n) {
        long wait = (end - System.nanoTime()) / 1_000_000;
        if (wait <= 0) {
          throw new AssertionError("only " + listener.count("finished") + " of " + n + " finished");
        }
        listener.wait(wait);
      }
    }
  }
}
