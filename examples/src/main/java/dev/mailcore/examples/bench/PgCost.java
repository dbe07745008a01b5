package dev.mailcore.examples.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * What a benchmark phase cost on each side: CPU of this JVM (the SMTP sink and the producers
 * included; with the part of it the JIT compiler took, by the JVM's compilation time), CPU of the
 * PostgreSQL server (the postmaster and all its processes, read from {@code
 * /proc}, so only for a server on this machine), and database round trips (statements executed,
 * commits and rollbacks) made through the {@link #dataSource() counting data source}.
 *
 * <p>Thread-safe.
 */
final class PgCost {

  private final DataSource target;
  private final AtomicLong roundTrips = new AtomicLong();
  private final DataSource counting;
  private long postmaster = -1;
  private final long ticksPerSecond = ticksPerSecond();

  /** A snapshot of the counters. */
  record Sample(long jvmNanos, long serverNanos, long roundTrips, long jitMillis) {}

  PgCost(DataSource target) {
    this.target = Objects.requireNonNull(target, "target");
    this.counting = new CountingDataSource();
  }

  /** Returns a data source that counts the round trips of every connection it hands out. */
  DataSource dataSource() {
    return counting;
  }

  /** Finds the server's postmaster, so its CPU can be read; false when it is not on this host. */
  boolean findServer() throws SQLException {
    try (Connection c = target.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      long backend = rs.getLong(1);
      String[] stat = stat(backend);
      postmaster = stat == null ? -1 : Long.parseLong(stat[1]);
      return postmaster > 0 && serverTicks() >= 0;
    }
  }

  Sample sample() {
    long server = postmaster > 0 ? serverTicks() : -1;
    return new Sample(
        jvmNanos(),
        server < 0 ? -1 : server * 1_000_000_000L / ticksPerSecond,
        roundTrips.get(),
        jitMillis());
  }

  /** Time the JIT compiler spent so far (all its threads), or -1 when the JVM does not say. */
  private static long jitMillis() {
    java.lang.management.CompilationMXBean jit =
        java.lang.management.ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : -1;
  }

  /** Describes what happened between {@code start} and now, per message. */
  String since(Sample start, long messages) {
    Sample now = sample();
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%5.0f us JVM CPU",
            (now.jvmNanos() - start.jvmNanos()) / 1e3 / messages));
    if (now.jitMillis() >= 0 && start.jitMillis() >= 0) {
      // compiling is part of the JVM CPU above: shows how far from warm the phase ran
      sb.append(
          String.format(
              Locale.ROOT,
              " (%4.0f us of it JIT)",
              (now.jitMillis() - start.jitMillis()) * 1e3 / messages));
    }
    if (now.serverNanos() >= 0 && start.serverNanos() >= 0) {
      sb.append(
          String.format(
              Locale.ROOT,
              ", %5.0f us server CPU",
              (now.serverNanos() - start.serverNanos()) / 1e3 / messages));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            ", %.3f round trips per message",
            (double) (now.roundTrips() - start.roundTrips()) / messages));
    return sb.toString();
  }

  private static long jvmNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * Ticks of the postmaster (its reaped children included) and of its live children; -1 when
   * unreadable.
   */
  private long serverTicks() {
    String[] own = stat(postmaster);
    if (own == null) {
      return -1;
    }
    // fields after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    long total = sum(own, 11, 14);
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        String[] s = stat(Long.parseLong(name));
        if (s != null && Long.parseLong(s[1]) == postmaster) {
          total += sum(s, 11, 12);
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return total;
  }

  private static long sum(String[] fields, int from, int to) {
    long n = 0;
    for (int i = from; i <= to; i++) {
      n += Long.parseLong(fields[i]);
    }
    return n;
  }

  /** The fields of /proc/pid/stat after the command name, or null when gone or unreadable. */
  private static String[] stat(long pid) {
    try {
      String line = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
    } catch (IOException | RuntimeException e) {
      return null; // the process ended between listing and reading: it has nothing to count
    }
  }

  private static long ticksPerSecond() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      p.waitFor();
      return Long.parseLong(out);
    } catch (IOException | RuntimeException e) {
      return 100; // the Linux default
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }

  /** Counts statement executions, commits and rollbacks; delegates everything else. */
  private final class CountingDataSource implements DataSource {
    @Override
    public Connection getConnection() throws SQLException {
      return wrap(target.getConnection());
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return wrap(target.getConnection(user, password));
    }

    private Connection wrap(Connection c) {
      return (Connection)
          Proxy.newProxyInstance(
              PgCost.class.getClassLoader(),
              new Class<?>[] {Connection.class},
              handler(
                  c,
                  m -> m.equals("commit") || m.equals("rollback"),
                  true));
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      return target.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
      return target.isWrapperFor(type);
    }
  }

  /** Method names that make a round trip. */
  @FunctionalInterface
  private interface Counted {
    boolean test(String method);
  }

  private InvocationHandler handler(Object real, Counted counted, boolean connection) {
    return (proxy, method, args) -> {
      if (counted.test(method.getName())) {
        roundTrips.incrementAndGet();
      }
      Object result;
      try {
        result = method.invoke(real, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (connection && result instanceof Statement s) {
        return wrapStatement(s);
      }
      return result;
    };
  }

  private Object wrapStatement(Statement s) {
    Class<?> type =
        s instanceof CallableStatement
            ? CallableStatement.class
            : s instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
    return Proxy.newProxyInstance(
        PgCost.class.getClassLoader(),
        new Class<?>[] {type},
        handler(s, m -> m.startsWith("execute"), false));
  }
}
