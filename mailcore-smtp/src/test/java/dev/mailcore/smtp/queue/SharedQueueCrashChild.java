package dev.mailcore.smtp.queue;

import dev.mailcore.smtp.queue.jdbc.PostgresQueueStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The instance {@link SharedQueueCrashTest} kills: a queue on the parent's PostgreSQL schema that
 * delivers to the parent's SMTP server until SIGKILL. Arguments: database port, schema, SMTP port.
 */
final class SharedQueueCrashChild {

  static final int WORKERS = 4;
  static final Duration LEASE = Duration.ofSeconds(1);

  private SharedQueueCrashChild() {}

  /** The parent's database on loopback {@code port}, sessions named {@code applicationName}. */
  static PGSimpleDataSource dataSource(String port, String applicationName) {
    PGSimpleDataSource db = new PGSimpleDataSource();
    db.setServerNames(new String[] {"127.0.0.1"});
    db.setPortNumbers(new int[] {Integer.parseInt(port)});
    db.setDatabaseName("postgres");
    db.setUser("postgres");
    db.setApplicationName(applicationName);
    return db;
  }

  public static void main(String[] args) throws Exception {
    PGSimpleDataSource db = dataSource(args[0], "queue-crash-child");
    MailQueue.builder()
        .store(
            PostgresQueueStore.builder()
                .dataSource(db)
                .schema(args[1])
                .owner("child")
                .leaseDuration(LEASE)
                .build())
        .transport(new JakartaTransport(Integer.parseInt(args[2])))
        .workers(WORKERS)
        .domainConcurrency(WORKERS)
        .pollInterval(Duration.ofMillis(50))
        .build();
    new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8)
        .println("READY");
    new CountDownLatch(1).await(); // deliver until killed
  }
}
