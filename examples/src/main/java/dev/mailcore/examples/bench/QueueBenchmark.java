package dev.mailcore.examples.bench;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.ServerReply;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.RenderedMessage;
import dev.mailcore.smtp.SmtpRelay;
import dev.mailcore.smtp.queue.FileQueueStore;
import dev.mailcore.smtp.queue.MailQueue;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueId;
import dev.mailcore.smtp.queue.QueueListener;
import dev.mailcore.smtp.queue.QueueTransport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Measures durable enqueue into {@link MailQueue} over a {@link FileQueueStore} (journal with group
 * commit) against the naive way to make each message durable on its own: one new file per message,
 * written, {@code fsync}ed, and its directory {@code fsync}ed (without the directory sync a crash
 * may lose the file's name; that variant is reported too). Both run in the same process, in the
 * same temporary directory's file system, from the same number of producer threads, with the same
 * message bytes. Then end to end to a local SMTP sink: the queue delivering through {@code
 * QueueTransport.relay(SmtpRelay)} against the relay alone with the same number of sessions, timed
 * from the first enqueue to the last delivery; and, to tell the two costs apart, delivery out of a
 * queue already holding the messages durably (its enqueue not timed); and, as a yardstick for
 * what the disk alone costs on this machine, an {@link IdealJournal} (append, {@code fdatasync},
 * read back; no queue bookkeeping at all) feeding the same relay. Last,
 * how long a queue of 100,000 entries takes to open (recovery replays the journal), and the heap
 * its index holds.
 *
 * <p>Deliveries are held back while enqueue is measured (the transport waits), so the numbers are
 * the enqueue path alone.
 *
 * <p>Arguments: {@code [messages [threads [bytes [openEntries [part]]]]]}, default 20000 8 10240
 * 100000 all; part {@code enqueue} or {@code e2e} runs that comparison alone (for profiling). The
 * queue keeps {@value #IN_FLIGHT} transactions in flight end to end ({@code -Dbench.workers=N}
 * overrides it); {@code -Dbench.verbose=true} prints per round when everything was durable and
 * when delivered, and the CPU per message of each thread group; {@code -Dbench.side=relay}, {@code
 * queue}, {@code drain} or {@code ideal} runs one side of the end-to-end part alone (for profiling); {@code
 * -Dbench.timeline=true} prints every 50 ms of each end-to-end round the cores this process used,
 * the machine's busy and iowait cores, and how many messages were durable and delivered by then.
 * Envelopes are built before the clock starts on both sides.
 * Run from the repository root, heap capped as the target says: {@code mvn -q -B -o -pl examples
 * -am compile && mvn -q -B -o -pl examples dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt}
 * then {@code java -Xmx256m -cp
 * "examples/target/classes:mailcore-smtp/target/classes:mailcore-api/target/classes:$(cat
 * /tmp/cp.txt)" dev.mailcore.examples.bench.QueueBenchmark}.
 */
public final class QueueBenchmark {

  private static final int WINDOW = 32;
  private static final int ROUNDS = 3;
  /**
   * Measured end-to-end rounds: more than for enqueue, since on a shared two-core machine the relay
   * and the sink alone vary by a fifth from one round to the next.
   */
  private static final int E2E_ROUNDS = 5;
  /**
   * End-to-end rounds of each side run first and not counted: on two cores the JIT compiler needs
   * several seconds of the CPU before the hot paths are compiled, and would otherwise compete with
   * whichever side happens to run then.
   */
  private static final int WARM_UP_ROUNDS = Integer.getInteger("bench.warmup", 2);
  /** Warm-up rounds go on (up to this many) until the JIT compiler is almost idle in one. */
  private static final int MAX_WARM_UP_ROUNDS = 12;
  private static final int SESSIONS = 4;
  /** The relay's default unacknowledged transactions per session. */
  private static final int WINDOW_PER_SESSION = 16;
  /**
   * Transactions the queue keeps at the relay: a relay session takes up to twice its window of
   * waiting messages at a time and completes them together, so two such batches per session keep
   * every session busy while the queue refills the batch that just completed. (The relay baseline
   * has all messages waiting from the start.)
   */
  private static final int IN_FLIGHT = SESSIONS * 2 * WINDOW_PER_SESSION * 2;
  private static final Mailbox FROM = Mailbox.of("bench", "shop.example");

  private QueueBenchmark() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int size = args.length > 2 ? Integer.parseInt(args[2]) : 10 * 1024;
    int openEntries = args.length > 3 ? Integer.parseInt(args[3]) : 100_000;
    String part = args.length > 4 ? args[4] : "all";
    Path root = Files.createTempDirectory("mailcore-queue-bench");
    try {
      byte[] body = body(size);
      if (part.equals("e2e")) {
        endToEnd(root, messages, threads, body);
        return;
      }
      // warm-up of both paths, until the JIT compiler is nearly idle (as end to end, below)
      for (int warm = 0; warm < MAX_WARM_UP_ROUNDS; warm++) {
        long jit = jitMillis();
        long wall = System.nanoTime();
        naive(root.resolve("warm-naive-" + warm), 1000, threads, body, true);
        queue(root.resolve("warm-queue-" + warm), messages, threads, body, 1);
        queue(root.resolve("warm-async-" + warm), messages, threads, body, WINDOW);
        for (String d : new String[] {"warm-naive-", "warm-queue-", "warm-async-"}) {
          deleteTree(root.resolve(d + warm));
        }
        if (warmedUp("enqueue warm-up", warm + 1, jit, wall)) {
          break;
        }
      }
      awaitQuietCompiler();

      double[][] rates = new double[4][ROUNDS];
      for (int round = 0;
          round < ROUNDS;
          round++) { // alternate, so load from other processes hits all alike
        rates[0][round] = naive(root.resolve("naive-" + round), messages, threads, body, true);
        rates[1][round] =
            naive(root.resolve("naive-nodir-" + round), messages, threads, body, false);
        rates[2][round] = queue(root.resolve("queue-" + round), messages, threads, body, 1);
        rates[3][round] =
            queue(root.resolve("queue-async-" + round), messages, threads, body, WINDOW);
        for (String d : new String[] {"naive-", "naive-nodir-", "queue-", "queue-async-"}) {
          deleteTree(root.resolve(d + round));
        }
      }
      double naiveRate = median(rates[0]);
      double naiveNoDirRate = median(rates[1]);
      double queueRate = median(rates[2]);
      double asyncRate = median(rates[3]);
      System.out.printf(
          Locale.ROOT,
          "durable enqueue, %d x %d bytes from %d threads, median of %d alternating rounds%n",
          messages,
          size,
          threads,
          ROUNDS);
      System.out.printf(
          Locale.ROOT, "  naive file + fsync + dir fsync   : %8.0f msg/s%n", naiveRate);
      System.out.printf(
          Locale.ROOT, "  naive file + fsync (no dir fsync): %8.0f msg/s%n", naiveNoDirRate);
      System.out.printf(
          Locale.ROOT,
          "  MailQueue.enqueue (blocking)     : %8.0f msg/s  %5.1f x naive%n",
          queueRate,
          queueRate / naiveRate);
      System.out.printf(
          Locale.ROOT,
          "  MailQueue.enqueueAsync (%d/thread): %8.0f msg/s  %5.1f x naive%n",
          WINDOW,
          asyncRate,
          asyncRate / naiveRate);

      if (part.equals("enqueue")) {
        return;
      }
      endToEnd(root, messages, threads, body);

      openTime(root.resolve("open"), openEntries);
    } finally {
      deleteTree(root);
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    return v[v.length / 2];
  }

  /** Distinct messages in the end-to-end part: more bytes than the CPU's caches hold, as real mail. */
  private static final int DISTINCT_BODIES = 4096;

  /**
   * Returns up to {@value #DISTINCT_BODIES} different messages of {@code body}'s size (a numbered
   * subject), which the end-to-end part cycles through on both sides: one array sent 20,000 times
   * would stay in the CPU's cache for the relay alone, while the queue reads every message back
   * from its journal.
   */
  private static Content[] distinct(byte[] body, int messages) {
    Content[] out = new Content[Math.min(messages, DISTINCT_BODIES)];
    for (int i = 0; i < out.length; i++) {
      byte[] b = body.clone();
      byte[] tag = String.format(Locale.ROOT, "%08d", i).getBytes(StandardCharsets.US_ASCII);
      int at = indexOf(b, "Subject: benchmark".getBytes(StandardCharsets.US_ASCII));
      System.arraycopy(tag, 0, b, at + "Subject: ".length(), Math.min(tag.length, 9));
      for (int k = at + 40; k + tag.length < b.length; k += 997) {
        while (k + tag.length < b.length && lineEndWithin(b, k, tag.length)) {
          k++;
        }
        if (k + tag.length < b.length) {
          System.arraycopy(tag, 0, b, k, tag.length); // every page of the body differs too
        }
      }
      out[i] = Content.ofBytes(b);
    }
    return out;
  }

  private static boolean lineEndWithin(byte[] b, int from, int length) {
    for (int i = from; i < from + length; i++) {
      if (b[i] == '\r' || b[i] == '\n') {
        return true;
      }
    }
    return false;
  }

  private static int indexOf(byte[] in, byte[] what) {
    outer:
    for (int i = 0; i + what.length <= in.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (in[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }

  private static byte[] body(int size) {
    StringBuilder b = new StringBuilder();
    b.append("From: bench@shop.example\r\nTo: someone@example.net\r\nSubject: benchmark\r\n\r\n");
    while (b.length() < size) {
      b.append("The quick brown fox jumps over the lazy dog, again and again and again.\r\n");
    }
    return b.substring(0, size).getBytes(StandardCharsets.US_ASCII);
  }

  /** One file per message: create, write, fsync, close, and (when asked) fsync the directory. */
  private static double naive(Path dir, int messages, int threads, byte[] body, boolean syncDir)
      throws Exception {
    Files.createDirectories(dir);
    AtomicInteger next = new AtomicInteger();
    return run(
        threads,
        () -> {
          for (int i; (i = next.getAndIncrement()) < messages; ) {
            Path file = dir.resolve("m" + i + ".eml");
            try (FileChannel ch =
                FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
              ByteBuffer buf = ByteBuffer.wrap(body);
              while (buf.hasRemaining()) {
                ch.write(buf);
              }
              ch.force(true);
            }
            if (syncDir) {
              try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
              }
            }
          }
          return null;
        },
        messages);
  }

  /**
   * Enqueues from {@code threads} threads; each keeps up to {@code window} enqueues in flight (1:
   * the blocking {@code enqueue}; more: {@code enqueueAsync}, acknowledged on completion).
   */
  private static double queue(Path dir, int messages, int threads, byte[] body, int window)
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    QueueTransport held =
        (envelope, content) -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return envelope.recipients().stream()
              .map(r -> RecipientResult.ofReply(r, ServerReply.of(250, "2.0.0 ok"), "sink"))
              .toList();
        };
    AtomicInteger next = new AtomicInteger();
    Envelope[] envelopes = envelopes(messages);
    try (MailQueue queue =
        MailQueue.builder().store(FileQueueStore.open(dir)).transport(held).workers(2).build()) {
      Content content = Content.ofBytes(body);
      double rate =
          run(
              threads,
              () -> {
                Semaphore inFlight = new Semaphore(window);
                List<CompletableFuture<QueueId>> pending = new ArrayList<>();
                for (int i; (i = next.getAndIncrement()) < messages; ) {
                  Envelope env = envelopes[i];
                  if (window == 1) {
                    queue.enqueue(env, content);
                  } else {
                    inFlight.acquire();
                    pending.add(
                        queue
                            .enqueueAsync(env, content)
                            .whenComplete((id, e) -> inFlight.release()));
                  }
                }
                for (CompletableFuture<QueueId> f : pending) {
                  f.join();
                }
                return null;
              },
              messages);
      release.countDown();
      return rate;
    }
  }

  /**
   * Waits (up to 30 s) until the JIT compiler has been idle for a second: with one C2 thread on a
   * busy two-core machine, methods queued in the warm-up would otherwise be compiled during the
   * measured rounds, and run interpreted until then.
   */
  private static void awaitQuietCompiler() throws InterruptedException {
    java.lang.management.CompilationMXBean jit =
        java.lang.management.ManagementFactory.getCompilationMXBean();
    long deadline = System.nanoTime() + 30_000_000_000L;
    long last = jit.getTotalCompilationTime();
    while (System.nanoTime() < deadline) {
      Thread.sleep(1000);
      long now = jit.getTotalCompilationTime();
      if (now - last < 20) {
        return;
      }
      last = now;
    }
  }

  /**
   * Prints (with {@code -Dbench.verbose}) how long the JIT compiled during warm-up round {@code
   * done}, begun at {@code jitBefore}/{@code wallBefore}; true once at least {@link
   * #WARM_UP_ROUNDS} are done and the compiler worked less than 2% of the round's time.
   */
  private static boolean warmedUp(String what, int done, long jitBefore, long wallBefore) {
    long compiled = jitMillis() - jitBefore;
    double wallMillis = (System.nanoTime() - wallBefore) / 1e6;
    if (Boolean.getBoolean("bench.verbose")) {
      System.out.printf(
          Locale.ROOT, "  %s %d: JIT compiled for %d ms of %.0f ms%n", what, done, compiled, wallMillis);
    }
    return done >= WARM_UP_ROUNDS && compiled < 0.02 * wallMillis;
  }

  private static long jitMillis() {
    return java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
  }

  /** CPU time of the producer threads of {@link #run}, summed. */
  private static final java.util.concurrent.atomic.AtomicLong PRODUCER_CPU =
      new java.util.concurrent.atomic.AtomicLong();

  private static double run(int threads, java.util.concurrent.Callable<Void> work, int messages)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      List<Future<Void>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  try {
                    return work.call();
                  } finally {
                    PRODUCER_CPU.addAndGet(
                        java.lang.management.ManagementFactory.getThreadMXBean()
                            .getCurrentThreadCpuTime());
                  }
                }));
      }
      for (Future<Void> f : futures) {
        f.get();
      }
      return messages / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdown();
    }
  }

  /**
   * End to end to a local SMTP sink: the queue (durable enqueue from {@code threads} threads,
   * delivery through {@link QueueTransport#relay} with {@value #SESSIONS} sessions, one durable
   * deletion per delivered message) against {@link SmtpRelay#sendAllRendered} of the same messages
   * with the same number of sessions and no queue. Warm-up rounds of both come first and are not
   * counted: at least {@code -Dbench.warmup=N} (default 2), and more (up to {@value
   * #MAX_WARM_UP_ROUNDS}) until the JIT compiler works less than 2% of a round's time; then the
   * measured rounds alternate, medians reported.
   */
  private static void endToEnd(Path root, int messages, int threads, byte[] body) throws Exception {
    double[] relayRates = new double[E2E_ROUNDS];
    double[] queueRates = new double[E2E_ROUNDS];
    double[] drainRates = new double[E2E_ROUNDS];
    double[] idealRates = new double[E2E_ROUNDS];
    double[] fedRates = new double[E2E_ROUNDS];
    double[] idealMemoryRates = new double[E2E_ROUNDS];
    try (SmtpSink sink = new SmtpSink(true, false)) {
      Content[] content = distinct(body, messages);
      // the rounds before 0 warm both paths up (JIT compilation) and are not counted
      int warmedUp = 0;
      long jitMark = jitMillis();
      long wallMark = System.nanoTime();
      for (int round = -MAX_WARM_UP_ROUNDS; round < E2E_ROUNDS; round++) {
        String side = System.getProperty("bench.side", "both"); // one side alone, to profile
        relaySide:
        try (SmtpRelay relay = relay(sink)) {
          if (!side.equals("both") && !side.equals("relay")) {
            relayRates[Math.max(0, round)] = 1;
            break relaySide;
          }
          List<RenderedMessage> batch = new ArrayList<>(messages);
          for (int i = 0; i < messages; i++) {
            batch.add(RenderedMessage.of(envelope(i), content[i % content.length]));
          }
          long cpu = cpuNanos();
    long[] io = syscalls();
          java.util.Map<String, Long> threadsBefore = threadCpu();
          long start = System.nanoTime();
          Timeline timeline =
              Boolean.getBoolean("bench.timeline") ? Timeline.start(start, () -> 0, () -> 0) : null;
          long delivered =
              relay.sendAllRendered(batch).stream().filter(SendResult::isAllDelivered).count();
          if (timeline != null) {
            timeline.stopAndPrint();
          }
          if (round >= 0) {
            relayRates[round] = delivered / ((System.nanoTime() - start) / 1e9);
          }
          if (Boolean.getBoolean("bench.verbose")) {
            System.out.printf(
                Locale.ROOT,
                "  round %d: relay %.0f us CPU per message (sink included)%n",
                round,
                (cpuNanos() - cpu) / 1e3 / messages);
            printSyscalls(io, messages);
            printThreadCpu(threadsBefore, messages);
          }
        }
        if (side.equals("both") || side.equals("relay")) {
          double fed = relayFed(sink, envelopes(messages), content, threads);
          if (round >= 0) {
            fedRates[round] = fed;
          }
        }
        if (side.equals("relay") || side.equals("ideal")) {
          queueRates[Math.max(0, round)] = 1;
          drainRates[Math.max(0, round)] = 1;
        } else {
          double rate =
              side.equals("drain")
                  ? 1
                  : queueRound(
                      root.resolve("e2e-" + round), sink, messages, threads, content, false, round);
          double drain =
              side.equals("queue")
                  ? 1
                  : queueRound(
                      root.resolve("drain-" + round), sink, messages, threads, content, true, round);
          if (round >= 0) {
            queueRates[round] = rate;
            drainRates[round] = drain;
          }
        }
        if (side.equals("both") || side.equals("ideal")) {
          Envelope[] envelopes = envelopes(messages);
          for (boolean readBack : new boolean[] {true, false}) {
            double rate;
            try (SmtpRelay relay = relay(sink)) {
              IdealJournal ideal =
                  new IdealJournal(
                      root.resolve("ideal-" + round + "-" + readBack),
                      relay,
                      envelopes,
                      content,
                      threads,
                      WINDOW,
                      readBack);
              long cpu = cpuNanos();
              long[] io = syscalls();
              Timeline timeline =
                  Boolean.getBoolean("bench.timeline")
                      ? Timeline.start(System.nanoTime(), () -> 0, () -> 0)
                      : null;
              rate = ideal.run();
              if (timeline != null) {
                timeline.stopAndPrint();
              }
              if (Boolean.getBoolean("bench.verbose")) {
                System.out.printf(
                    Locale.ROOT,
                    "  round %d: ideal journal%s %.0f us CPU per message%n",
                    round,
                    readBack ? "" : " (sent from memory)",
                    (cpuNanos() - cpu) / 1e3 / messages);
                printSyscalls(io, messages);
              }
            }
            if (round >= 0) {
              (readBack ? idealRates : idealMemoryRates)[round] = rate;
            }
          }
        }
        if (round < 0) {
          warmedUp++;
          if (warmedUp("warm-up", warmedUp, jitMark, wallMark) && round < -1) {
            round = -2; // one last warm-up round, then the measured ones
          }
          if (round == -1 || round == -2) {
            awaitQuietCompiler();
          }
          jitMark = jitMillis();
          wallMark = System.nanoTime();
        }
      }
    }
    double relayRate = median(relayRates);
    double queueRate = median(queueRates);
    System.out.printf(
        Locale.ROOT,
        "end to end, %d x %d bytes to a local SMTP sink, %d sessions, median of %d rounds%n",
        messages,
        body.length,
        SESSIONS,
        E2E_ROUNDS);
    System.out.printf(
        Locale.ROOT, "  SmtpRelay.sendAllRendered, no queue : %8.0f msg/s%n", relayRate);
    double fedRate = median(fedRates);
    System.out.printf(
        Locale.ROOT,
        "  SmtpRelay.sendAsync from %d threads, %d in flight each, no queue: %8.0f msg/s%n",
        threads,
        WINDOW,
        fedRate);
    System.out.printf(
        Locale.ROOT,
        "  MailQueue (durable) over SmtpRelay  : %8.0f msg/s  %5.0f %% of the relay; %.0f %% of"
            + " the relay fed like the queue%n",
        queueRate,
        100 * queueRate / relayRate,
        100 * queueRate / fedRate);
    double drainRate = median(drainRates);
    System.out.printf(
        Locale.ROOT,
        "  MailQueue delivering a full queue    : %8.0f msg/s  %5.0f %% of the relay (enqueue not"
            + " timed)%n",
        drainRate,
        100 * drainRate / relayRate);
    double idealRate = median(idealRates);
    double idealMemoryRate = median(idealMemoryRates);
    if (idealRate > 0) {
      System.out.printf(
          Locale.ROOT,
          "  ideal journal (append, fdatasync, pread;%n"
              + "    no index, framing, state or events) : %8.0f msg/s  %5.0f %% of the relay;"
              + " MailQueue at %.0f %% of it%n",
          idealRate,
          100 * idealRate / relayRate,
          100 * queueRate / idealRate);
      System.out.printf(
          Locale.ROOT,
          "  ideal journal, sent from memory       : %8.0f msg/s  %5.0f %% of the relay%n",
          idealMemoryRate,
          100 * idealMemoryRate / relayRate);
    }
  }

  /**
   * Submits {@code messages} from {@code threads} producers, each keeping {@value #WINDOW} submitted
   * and not yet complete; {@code done} gets each result (null when the future failed). Returns once
   * every submission completed.
   */
  private static <T> void feed(
      int threads,
      int messages,
      java.util.function.IntFunction<CompletableFuture<T>> submit,
      java.util.function.Consumer<T> done)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    run(
        threads,
        () -> {
          Semaphore inFlight = new Semaphore(WINDOW);
          for (int i; (i = next.getAndIncrement()) < messages; ) {
            inFlight.acquire();
            submit
                .apply(i)
                .whenComplete(
                    (result, e) -> {
                      done.accept(e == null ? result : null);
                      inFlight.release();
                    });
          }
          inFlight.acquire(WINDOW);
          return null;
        },
        messages);
  }

  /**
   * The relay alone, fed as the queue is fed: {@code threads} producers each keep {@value #WINDOW}
   * {@link SmtpRelay#sendAsync} calls in flight (as many transactions at the relay as the queue
   * keeps), instead of handing it every message at once. Returns messages delivered per second.
   */
  private static double relayFed(SmtpSink sink, Envelope[] envelopes, Content[] content, int threads)
      throws Exception {
    int messages = envelopes.length;
    AtomicInteger delivered = new AtomicInteger();
    try (SmtpRelay relay = relay(sink)) {
      long start = System.nanoTime();
      feed(
          threads,
          messages,
          i -> relay.sendAsync(RenderedMessage.of(envelopes[i], content[i % content.length])),
          result -> {
            if (result != null && result.isAllDelivered()) {
              delivered.incrementAndGet();
            }
          });
      double rate = delivered.get() / ((System.nanoTime() - start) / 1e9);
      if (delivered.get() != messages) {
        throw new IllegalStateException("relay fed: " + delivered.get() + " of " + messages);
      }
      return rate;
    }
  }

  /**
   * One queue round end to end: a fresh {@link FileQueueStore} in {@code dir}, delivering through
   * {@link QueueTransport#relay} to the sink. Not {@code prefilled}: the clock runs from the first
   * durable enqueue (from {@code threads} threads, {@value #WINDOW} in flight each) to the last
   * delivery. {@code prefilled}: the messages are made durable in the store first, and the clock
   * runs from the queue's start to the last delivery, so the figure is delivery out of the queue
   * alone. Returns messages per second.
   */
  private static double queueRound(
      Path dir,
      SmtpSink sink,
      int messages,
      int threads,
      Content[] content,
      boolean prefilled,
      int round)
      throws Exception {
    CountDownLatch done = new CountDownLatch(messages);
    QueueListener counter =
        new QueueListener() {
          @Override
          public void finished(QueueEntry entry) {
            done.countDown();
          }
        };
    Envelope[] envelopes = envelopes(messages); // built before the clock starts, as above
    FileQueueStore store = FileQueueStore.open(dir);
    if (prefilled) {
      AtomicInteger next = new AtomicInteger();
      Instant now = Instant.now();
      run(
          threads,
          () -> {
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int i; (i = next.getAndIncrement()) < messages; ) {
              pending.add(
                  store.appendAsync(
                      QueueEntry.ofNew(QueueId.parse("drain-" + i), envelopes[i], now),
                      content[i % content.length]));
            }
            for (CompletableFuture<Void> f : pending) {
              f.join();
            }
            return null;
          },
          messages);
    }
    long cpu = cpuNanos();
    long[] io = syscalls();
    java.util.Map<String, Long> threadsBefore = threadCpu();
    long start = System.nanoTime();
    long enqueued = start;
    AtomicInteger durable = new AtomicInteger();
    Timeline timeline =
        Boolean.getBoolean("bench.timeline")
            ? Timeline.start(start, durable::get, () -> messages - (int) done.getCount())
            : null;
    try (SmtpRelay relay = relay(sink);
        MailQueue queue =
            MailQueue.builder()
                .store(store)
                .transport(QueueTransport.relay(relay))
                .workers(Integer.getInteger("bench.workers", IN_FLIGHT))
                .domainConcurrency(IN_FLIGHT)
                .listener(counter)
                .build()) {
      if (!prefilled) {
        feed(
            threads,
            messages,
            i -> queue.enqueueAsync(envelopes[i], content[i % content.length]),
            id -> durable.incrementAndGet());
        enqueued = System.nanoTime();
      }
      done.await();
      long end = System.nanoTime();
      if (timeline != null) {
        timeline.stopAndPrint();
      }
      if (Boolean.getBoolean("bench.verbose")) {
        System.out.printf(
            Locale.ROOT,
            "  round %d%s: all durable after %.2f s, all delivered after %.2f s; %.0f us CPU per"
                + " message%n",
            round,
            prefilled ? " (full queue)" : "",
            (enqueued - start) / 1e9,
            (end - start) / 1e9,
            (cpuNanos() - cpu) / 1e3 / messages);
        printSyscalls(io, messages);
        printThreadCpu(threadsBefore, messages);
      }
      return messages / ((end - start) / 1e9);
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * With {@code -Dbench.timeline=true}: every 50 ms of a queue round, the CPU this process used
   * (in cores) and how many messages were durable and delivered by then, to see where the round
   * leaves the cores idle.
   */
  private static final class Timeline implements Runnable {
    private final long start;
    private final java.util.function.IntSupplier durable;
    private final java.util.function.IntSupplier delivered;
    private final StringBuilder out = new StringBuilder();
    private final Thread thread;
    private volatile boolean running = true;

    private Timeline(
        long start,
        java.util.function.IntSupplier durable,
        java.util.function.IntSupplier delivered) {
      this.start = start;
      this.durable = durable;
      this.delivered = delivered;
      this.thread = new Thread(this, "bench-timeline");
      thread.setDaemon(true);
    }

    static Timeline start(
        long start,
        java.util.function.IntSupplier durable,
        java.util.function.IntSupplier delivered) {
      Timeline t = new Timeline(start, durable, delivered);
      t.thread.start();
      return t;
    }

    @Override
    public void run() {
      long lastCpu = cpuNanos();
      long lastWall = System.nanoTime();
      long[] lastSystem = systemTicks();
      while (running) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
        long cpu = cpuNanos();
    long[] io = syscalls();
        long wall = System.nanoTime();
        long[] system = systemTicks();
        long busy = system[0] - lastSystem[0];
        long all = busy + system[1] - lastSystem[1];
        long iowait = system[2] - lastSystem[2];
        lastSystem = system;
        out.append(
            String.format(
                Locale.ROOT,
                "    %6.2f s  %4.2f cores (machine %4.2f busy, %4.2f iowait)  durable %6d  delivered"
                    + " %6d%n",
                (wall - start) / 1e9,
                (double) (cpu - lastCpu) / (wall - lastWall),
                all == 0 ? 0 : (double) CORES * busy / all,
                all == 0 ? 0 : (double) CORES * iowait / all,
                durable.getAsInt(),
                delivered.getAsInt()));
        lastCpu = cpu;
        lastWall = wall;
      }
    }

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    /** The machine's busy, idle (iowait included) and iowait ticks from {@code /proc/stat}. */
    private static long[] systemTicks() {
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long idle = Long.parseLong(f[4]);
        long iowait = Long.parseLong(f[5]);
        long busy = 0;
        for (int i = 1; i < Math.min(f.length, 9); i++) {
          busy += Long.parseLong(f[i]);
        }
        return new long[] {busy - idle - iowait, idle + iowait, iowait};
      } catch (IOException | RuntimeException e) {
        return new long[3]; // not Linux: the machine columns read 0
      }
    }

    void stopAndPrint() throws InterruptedException {
      running = false;
      thread.join();
      System.out.print(out);
    }
  }

  private static SmtpRelay relay(SmtpSink sink) {
    return SmtpRelay.builder()
        .host("127.0.0.1")
        .port(sink.port())
        .tls(TlsMode.NONE)
        .maxConnections(SESSIONS)
        .maxMessagesPerSession(1_000_000)
        .build();
  }

  private static Envelope[] envelopes(int messages) {
    Envelope[] out = new Envelope[messages];
    for (int i = 0; i < messages; i++) {
      out[i] = envelope(i);
    }
    return out;
  }

  private static Envelope envelope(int i) {
    return Envelope.of(FROM, List.of(Mailbox.of("u" + (i % 100), "d" + (i % 7) + ".example")));
  }

  /** Fills a queue with {@code entries} 1 KB messages, closes it, and times the reopen. */
  private static void openTime(Path dir, int entries) throws Exception {
    byte[] small = body(1024);
    AtomicInteger next = new AtomicInteger();
    long fillStart = System.nanoTime();
    try (FileQueueStore store = FileQueueStore.open(dir)) {
      Content content = Content.ofBytes(small);
      Instant now = Instant.now();
      run(
          64,
          () -> {
            for (int i; (i = next.getAndIncrement()) < entries; ) {
              Envelope env =
                  Envelope.of(
                      FROM, List.of(Mailbox.of("u" + (i % 100), "d" + (i % 7) + ".example")));
              store.append(QueueEntry.ofNew(QueueId.parse("bench-" + i), env, now), content);
            }
            return null;
          },
          entries);
    }
    double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
    System.gc();
    long before = usedHeap();
    long start = System.nanoTime();
    try (FileQueueStore store = FileQueueStore.open(dir)) {
      double seconds = (System.nanoTime() - start) / 1e9;
      System.gc();
      long held = usedHeap() - before;
      System.out.printf(
          Locale.ROOT,
          "open: %d entries (%d x 1 KB filled in %.1f s) opened in %.2f s; index heap ~%d MB; max"
              + " heap %d MB%n",
          store.size(),
          entries,
          fillSeconds,
          seconds,
          held >> 20,
          Runtime.getRuntime().maxMemory() >> 20);
    }
  }

  /** CPU time of this whole process (the sink's threads too), in nanoseconds. */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** CPU time per live thread, summed by name with digits dropped (thread pools become one row). */
  private static java.util.Map<String, Long> threadCpu() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    out.put("producers@0", PRODUCER_CPU.get());
    long gc = 0;
    for (java.lang.management.GarbageCollectorMXBean b :
        java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      gc += b.getCollectionTime();
    }
    out.put("(GC pauses, wall)@0", gc * 1_000_000);
    out.put(
        "(JIT compilation)@0",
        java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime()
            * 1_000_000);
    for (long id : mx.getAllThreadIds()) {
      java.lang.management.ThreadInfo info = mx.getThreadInfo(id);
      long cpu = mx.getThreadCpuTime(id);
      if (info != null && cpu > 0) {
        out.merge(info.getThreadName().replaceAll("[0-9.]+", "#") + "@" + id, cpu, Long::sum);
      }
    }
    return out;
  }

  /** Prints, per thread group, the CPU spent since {@code before}, in microseconds per message. */
  private static void printThreadCpu(java.util.Map<String, Long> before, int messages) {
    java.util.Map<String, Long> grouped = new java.util.TreeMap<>();
    threadCpu()
        .forEach(
            (key, cpu) ->
                grouped.merge(
                    key.substring(0, key.lastIndexOf('@')),
                    cpu - before.getOrDefault(key, 0L),
                    Long::sum));
    grouped.entrySet().stream()
        .filter(e -> e.getValue() > 1_000_000)
        .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(
            e ->
                System.out.printf(
                    Locale.ROOT, "      %6.1f us  %s%n", e.getValue() / 1e3 / messages, e.getKey()));
  }

  /** This process's read and write system calls so far, from {@code /proc/self/io} (0 elsewhere). */
  private static long[] syscalls() {
    long[] out = new long[2];
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
        if (line.startsWith("syscr:")) {
          out[0] = Long.parseLong(line.substring(6).trim());
        } else if (line.startsWith("syscw:")) {
          out[1] = Long.parseLong(line.substring(6).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      return out; // not Linux: reads 0
    }
    return out;
  }

  private static void printSyscalls(long[] before, int messages) {
    long[] now = syscalls();
    System.out.printf(
        Locale.ROOT,
        "      read calls %.1f, write calls %.1f per message%n",
        (double) (now[0] - before[0]) / messages,
        (double) (now[1] - before[1]) / messages);
  }

  private static long usedHeap() {
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
