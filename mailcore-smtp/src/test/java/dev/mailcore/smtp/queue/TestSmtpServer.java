package dev.mailcore.smtp.queue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small SMTP server on loopback for the queue tests: scripted replies per recipient and per DATA
 * (to inject 451 and 550), a record of every accepted message, and a count of concurrent sessions
 * per recipient domain as the server sees them. Fast enough to be the sink of the crash test.
 * Thread-safe.
 */
final class TestSmtpServer implements AutoCloseable {

  /** One accepted message. */
  record Received(String reversePath, List<String> recipients, byte[] data) {
    String text() {
      return new String(data, StandardCharsets.UTF_8);
    }
  }

  private final ServerSocket server;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "test-smtp");
            t.setDaemon(true);
            return t;
          });
  private final List<Received> received = new ArrayList<>();
  private final List<byte[]> dataSeen = new ArrayList<>();
  private final Map<String, Deque<String>> rcptReplies = new HashMap<>();
  private final Map<String, String> rcptAlways = new HashMap<>();
  private final Deque<String> dataReplies = new ArrayDeque<>();
  private final Map<String, Integer> active = new HashMap<>();
  private final Map<String, Integer> maxActive = new HashMap<>();
  private final AtomicInteger sessions = new AtomicInteger();
  private int holdUntil;
  private int open; // sessions being served now; guarded by this
  private Duration holdTimeout = Duration.ZERO;
  private volatile boolean closed;

  TestSmtpServer() throws IOException {
    server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    threads.execute(this::acceptLoop);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Answers the next RCPT TO for {@code address} with each reply in turn, then 250. */
  synchronized TestSmtpServer replyToRcpt(String address, String... replies) {
    rcptReplies
        .computeIfAbsent(address.toLowerCase(Locale.ROOT), k -> new ArrayDeque<>())
        .addAll(List.of(replies));
    return this;
  }

  /** Answers every RCPT TO for {@code address} with {@code reply}. */
  synchronized TestSmtpServer alwaysReplyToRcpt(String address, String reply) {
    rcptAlways.put(address.toLowerCase(Locale.ROOT), reply);
    return this;
  }

  /** Answers the next end-of-DATA with each reply in turn, then 250. */
  synchronized TestSmtpServer replyToData(String... replies) {
    dataReplies.addAll(List.of(replies));
    return this;
  }

  /**
   * Holds each accepted message's final reply until {@code sessions} sessions of its domain are
   * open at once, or {@code timeout} passed, so overlapping sessions show up in {@link #maxActive}.
   */
  synchronized TestSmtpServer holdUntilConcurrent(int sessions, Duration timeout) {
    this.holdUntil = sessions;
    this.holdTimeout = timeout;
    return this;
  }

  /** Returns the bytes of every DATA the server read, accepted or not. */
  synchronized List<byte[]> dataSeen() {
    return List.copyOf(dataSeen);
  }

  synchronized List<Received> received() {
    return List.copyOf(received);
  }

  /** Returns the most sessions of {@code domain} open at once. */
  synchronized int maxActive(String domain) {
    return maxActive.getOrDefault(domain, 0);
  }

  int sessions() {
    return sessions.get();
  }

  /** Waits (with a deadline, never for a back-off) until at least {@code n} messages arrived. */
  synchronized List<Received> awaitReceived(int n, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (received.size() < n) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("expected " + n + " messages, got " + received.size());
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return List.copyOf(received);
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true); // replies to a pipelined batch go out at once, not after an ACK
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException("test SMTP server accept failed", e);
        }
      }
    }
  }

  private void serve(Socket socket) {
    sessions.incrementAndGet();
    synchronized (this) {
      open++;
    }
    String domain = null;
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      send(out, "220 test.invalid ESMTP ready");
      String from = null;
      List<String> rcpts = new ArrayList<>();
      for (String line; (line = readLine(in)) != null; ) {
        String upper = line.toUpperCase(Locale.ROOT);
        if (upper.startsWith("EHLO")) {
          send(out, "250-test.invalid\r\n250-8BITMIME\r\n250 PIPELINING");
        } else if (upper.startsWith("HELO")) {
          send(out, "250 test.invalid");
        } else if (upper.startsWith("MAIL FROM:")) {
          from = between(line);
          rcpts.clear();
          send(out, "250 2.1.0 OK");
        } else if (upper.startsWith("RCPT TO:")) {
          String rcpt = between(line);
          if (domain == null) {
            domain = rcpt.substring(rcpt.indexOf('@') + 1).toLowerCase(Locale.ROOT);
            enter(domain);
          }
          String reply = rcptReply(rcpt);
          if (reply.startsWith("2")) {
            rcpts.add(rcpt);
          }
          send(out, reply);
        } else if (upper.equals("DATA")) {
          if (rcpts.isEmpty()) {
            send(out, "554 5.5.1 no valid recipients");
            continue;
          }
          send(out, "354 go ahead");
          byte[] data = readData(in);
          if (data == null) {
            return;
          }
          String reply = dataReply();
          synchronized (this) {
            dataSeen.add(data);
          }
          if (reply.startsWith("2")) {
            hold(domain);
            synchronized (this) {
              received.add(new Received(from, List.copyOf(rcpts), data));
              notifyAll();
            }
          }
          send(out, reply);
        } else if (upper.equals("RSET")) {
          from = null;
          rcpts.clear();
          send(out, "250 2.0.0 OK");
        } else if (upper.equals("NOOP")) {
          send(out, "250 2.0.0 OK");
        } else if (upper.equals("QUIT")) {
          send(out, "221 2.0.0 bye");
          return;
        } else {
          send(out, "502 5.5.2 not implemented");
        }
      }
    } catch (IOException e) {
      // the client went away mid-session (the crash test kills it); nothing to record
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (domain != null) {
        leave(domain);
      }
      synchronized (this) {
        open--;
        notifyAll();
      }
    }
  }

  /**
   * Waits (with a deadline) until no session is open, so {@link #received} is final: after the
   * client process was killed, its sessions end as the server reads their closed sockets.
   */
  synchronized void awaitNoOpenSessions(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (open > 0) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(open + " sessions still open");
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  private synchronized void enter(String domain) {
    int n = active.merge(domain, 1, Integer::sum);
    maxActive.merge(domain, n, Math::max);
    notifyAll();
  }

  private synchronized void leave(String domain) {
    active.merge(domain, -1, Integer::sum);
    notifyAll();
  }

  private synchronized void hold(String domain) throws InterruptedException {
    if (holdUntil <= 1) {
      return;
    }
    long end = System.nanoTime() + holdTimeout.toNanos();
    while (active.getOrDefault(domain, 0) < holdUntil) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return;
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  private synchronized String rcptReply(String rcpt) {
    String key = rcpt.toLowerCase(Locale.ROOT);
    String always = rcptAlways.get(key);
    if (always != null) {
      return always;
    }
    Deque<String> q = rcptReplies.get(key);
    return q == null || q.isEmpty() ? "250 2.1.5 OK" : q.poll();
  }

  private synchronized String dataReply() {
    return dataReplies.isEmpty() ? "250 2.0.0 OK queued" : dataReplies.poll();
  }

  private static String between(String line) {
    int a = line.indexOf('<');
    int b = line.indexOf('>', a + 1);
    return a >= 0 && b > a
        ? line.substring(a + 1, b)
        : line.substring(line.indexOf(':') + 1).trim();
  }

  private static void send(OutputStream out, String reply) throws IOException {
    out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) >= 0; ) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
      }
      line.write(b);
    }
    return null;
  }

  /** Reads up to the lone dot, undoing dot-stuffing; null when the connection ended first. */
  private static byte[] readData(InputStream in) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    while (true) {
      String line = readLine(in);
      if (line == null) {
        return null;
      }
      if (line.equals(".")) {
        return data.toByteArray();
      }
      if (line.startsWith(".")) {
        line = line.substring(1);
      }
      data.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    threads.shutdownNow();
  }
}
