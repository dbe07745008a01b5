package dev.mailcore.smtp.queue.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL server for the tests: {@code initdb} on a temporary directory, {@code pg_ctl
 * start} on a free loopback port, trust authentication, stopped with {@code pg_ctl stop -m
 * immediate} when the test run ends. One server per test run (kept in the root extension store);
 * each test takes a schema of its own. As root, the binaries run as the {@code postgres} user,
 * since {@code initdb} refuses root.
 *
 * <p>Use as {@code @ExtendWith(PostgresServer.class)} and {@link #get()}.
 */
public final class PostgresServer
    implements BeforeAllCallback, ExtensionContext.Store.CloseableResource, AutoCloseable {

  private static final AtomicInteger SCHEMAS = new AtomicInteger();
  private static volatile PostgresServer instance;

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;
  private final boolean asPostgresUser;

  /** Used by JUnit only; the server itself is made in {@link #beforeAll}. */
  public PostgresServer() {
    this.bin = null;
    this.dir = null;
    this.data = null;
    this.port = 0;
    this.asPostgresUser = false;
  }

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    instance =
        context
            .getRoot()
            .getStore(ExtensionContext.Namespace.create(PostgresServer.class))
            .getOrComputeIfAbsent("server", k -> start(), PostgresServer.class);
  }

  /** Returns the running server; the test class must use this extension. */
  public static PostgresServer get() {
    PostgresServer s = instance;
    if (s == null) {
      throw new IllegalStateException(
          "annotate the test class with @ExtendWith(PostgresServer.class)");
    }
    return s;
  }

  static PostgresServer start() {
    Path bin =
        findBin()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "PostgreSQL server binaries (initdb, pg_ctl) not found under"
                            + " /usr/lib/postgresql/*/bin or $MAILCORE_PG_BIN: install the Debian"
                            + " package `postgresql` (apt-get install -y postgresql) to run these"
                            + " tests"));
    try {
      boolean root = "root".equals(System.getProperty("user.name"));
      Path dir = Files.createTempDirectory("mailcore-pg-");
      if (root) {
        exec(List.of("chown", "postgres:postgres", dir.toString()), dir, false);
      }
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      PostgresServer server = new PostgresServer(bin, dir, port, root);
      server.run(
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              server.data.toString(),
              "-U",
              "postgres",
              "-A",
              "trust",
              "-E",
              "UTF8",
              "--locale=C",
              "--no-sync"));
      server.run(
          List.of(
              bin.resolve("pg_ctl").toString(),
              "-D",
              server.data.toString(),
              "-l",
              dir.resolve("server.log").toString(),
              "-w",
              "-t",
              "60",
              "-o",
              "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir + " -c max_connections=100",
              "start"));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start PostgreSQL for the tests", e);
    }
  }

  private static Optional<Path> findBin() {
    String env = System.getenv("MAILCORE_PG_BIN");
    if (env != null && Files.isExecutable(Path.of(env, "initdb"))) {
      return Optional.of(Path.of(env));
    }
    Path base = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(base)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(base)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(
              b ->
                  Files.isExecutable(b.resolve("initdb"))
                      && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparingInt(PostgresServer::majorVersion));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int majorVersion(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0; // not a version directory; any real one wins
    }
  }

  private void run(List<String> command) throws IOException {
    exec(command, dir, asPostgresUser);
  }

  private static void exec(List<String> command, Path dir, boolean asPostgres) throws IOException {
    List<String> full = new ArrayList<>();
    if (asPostgres) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    Path out = Files.createTempFile("mailcore-pg-cmd", ".log");
    try {
      Process p =
          new ProcessBuilder(full)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", full));
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            "failed (exit "
                + p.exitValue()
                + "): "
                + String.join(" ", full)
                + "\n"
                + Files.readString(out, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", full), e);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /**
   * Restarts the server the hard way: {@code pg_ctl restart -m immediate}, which ends every session
   * without a checkpoint, so the server recovers from its write-ahead log as after a crash.
   */
  public void restartImmediately() throws IOException {
    run(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            dir.resolve("server.log").toString(),
            "-w",
            "-t",
            "60",
            "-m",
            "immediate",
            "restart"));
  }

  /** Returns the port the server listens on (127.0.0.1). */
  public int port() {
    return port;
  }

  /** Returns a data source as the store gets it, naming its connections {@code applicationName}. */
  public PGSimpleDataSource dataSource(String applicationName) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    ds.setApplicationName(applicationName);
    ds.setConnectTimeout(10);
    return ds;
  }

  /**
   * Returns a connection pool (HikariCP), as applications give the store: connections are kept
   * open and handed out again, so a terminated session or a restarted server leaves broken ones in
   * the pool. Close it after use.
   */
  public HikariDataSource pooledDataSource(String applicationName, int maxConnections) {
    HikariConfig config = new HikariConfig();
    config.setDataSource(dataSource(applicationName));
    config.setPoolName(applicationName + "-" + SCHEMAS.incrementAndGet());
    config.setMaximumPoolSize(maxConnections);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(10_000);
    config.setInitializationFailTimeout(-1); // the server may be restarting
    return new HikariDataSource(config);
  }

  /** Ends every session named {@code applicationName}; returns how many there were. */
  public int terminate(String applicationName) throws SQLException {
    try (Connection c = connect();
        java.sql.PreparedStatement q =
            c.prepareStatement(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name = ? AND pid <> pg_backend_pid()")) {
      q.setString(1, applicationName);
      try (java.sql.ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** Returns a data source for the test's own statements. */
  public DataSource admin() {
    return dataSource("mailcore-test-admin");
  }

  /** Returns a fresh schema name for one test. */
  public static String newSchema() {
    return "t" + ProcessHandle.current().pid() + "_" + SCHEMAS.incrementAndGet();
  }

  /** Opens an admin connection. */
  public Connection connect() throws SQLException {
    return admin().getConnection();
  }

  /** Stops the server at once ({@code -m immediate}) and removes its directory. */
  @Override
  public void close() throws IOException {
    try {
      run(
          List.of(
              bin.resolve("pg_ctl").toString(),
              "-D",
              data.toString(),
              "stop",
              "-m",
              "immediate",
              "-w"));
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
