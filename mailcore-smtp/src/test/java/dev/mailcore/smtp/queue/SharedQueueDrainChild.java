package dev.mailcore.smtp.queue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.SmtpRelay;
import dev.mailcore.smtp.queue.jdbc.PostgresQueueStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * One of the instances {@link SharedQueueDrainTest} runs: a queue with {@value #WORKERS} claimers
 * on the parent's PostgreSQL schema, delivering through mailcore's own SMTP relay to the parent's
 * SMTP server until killed. Arguments: database port, schema, SMTP port, owner.
 */
final class SharedQueueDrainChild {

  static final int WORKERS = 8;
  static final Duration LEASE = Duration.ofSeconds(10);

  private SharedQueueDrainChild() {}

  public static void main(String[] args) throws Exception {
    PGSimpleDataSource pg = SharedQueueCrashChild.dataSource(args[0], "queue-drain-" + args[3]);
    // a pool, as in production: a new PostgreSQL session per statement would cost a backend fork
    HikariConfig pool = new HikariConfig();
    pool.setDataSource(pg);
    pool.setMaximumPoolSize(2 * WORKERS);
    HikariDataSource db = new HikariDataSource(pool);
    SmtpRelay relay =
        SmtpRelay.builder()
            .host("127.0.0.1")
            .port(Integer.parseInt(args[2]))
            .tls(TlsMode.NONE)
            .maxConnections(WORKERS)
            .build();
    MailQueue.builder()
        .store(
            PostgresQueueStore.builder()
                .dataSource(db)
                .schema(args[1])
                .owner(args[3])
                .leaseDuration(LEASE)
                .build())
        .transport(QueueTransport.relay(relay))
        .workers(WORKERS)
        .domainConcurrency(WORKERS)
        .pollInterval(Duration.ofMillis(50))
        .build();
    new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8)
        .println("READY");
    new CountDownLatch(1).await(); // deliver until killed
  }
}
