package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The process the crash test kills: opens the queue in a directory, enqueues messages from four
 * threads and prints {@code ACK <token>} after each enqueue returned, while the queue delivers to
 * the parent's SMTP server. Arguments: directory, SMTP port, round name, message count.
 */
final class QueueCrashChild {

  static final int WORKERS = 4;
  static final int PRODUCERS = 4;

  private QueueCrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int port = Integer.parseInt(args[1]);
    String round = args[2];
    int count = Integer.parseInt(args[3]);
    PrintStream out =
        new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    MailQueue queue =
        MailQueue.builder()
            .store(FileQueueStore.open(dir))
            .transport(new JakartaTransport(port))
            .workers(WORKERS)
            .domainConcurrency(WORKERS)
            .build();
    out.println("READY");
    Mailbox from = Mailbox.of("sender", "crash.example");
    List<Thread> producers = new ArrayList<>();
    for (int t = 0; t < PRODUCERS; t++) {
      int thread = t;
      Thread p =
          new Thread(
              () -> {
                for (int i = thread; i < count; i += PRODUCERS) {
                  String token = round + "-" + i;
                  Mailbox to = Mailbox.of("u" + (i % 50), "d" + (i % 3) + ".crash.example");
                  queue.enqueue(Envelope.of(from, List.of(to)), message(token, from, to));
                  synchronized (out) {
                    out.println("ACK " + token);
                  }
                }
              });
      p.start();
      producers.add(p);
    }
    for (Thread p : producers) {
      p.join();
    }
    out.println("ENQUEUED");
    new CountDownLatch(1).await(); // deliver until killed
  }

  static Content message(String token, Mailbox from, Mailbox to) {
    String text =
        "From: "
            + from.address()
            + "\r\nTo: "
            + to.address()
            + "\r\nSubject: crash "
            + token
            + "\r\nX-Token: "
            + token
            + "\r\n\r\nA small message for the crash test.\r\n";
    return Content.ofString(text, StandardCharsets.UTF_8);
  }
}
