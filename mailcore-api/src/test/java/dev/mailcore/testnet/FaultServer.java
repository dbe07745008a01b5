package dev.mailcore.testnet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A misbehaving line-protocol server on a loopback ephemeral port, for tests of how clients
 * survive hostile servers. Each connection runs the {@link Script} on its own thread; the
 * script reads commands with {@link Conversation#readLine()} and answers with raw bytes, so it
 * can send endless lines, absurd literals, wrong tags, or nothing at all. Thread-safe.
 */
public final class FaultServer implements AutoCloseable {
  /** What the server does on one connection. */
  @FunctionalInterface
  public interface Script {
    /** Runs the conversation; returning closes the connection. */
    void run(Conversation c) throws IOException, InterruptedException;
  }

  /** One connection, seen from the server. */
  public static final class Conversation {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Conversation(Socket s) throws IOException {
      this.socket = s;
      this.in = s.getInputStream();
      this.out = s.getOutputStream();
    }

    /**
     * Returns the connection, for scripts that turn it into something else (TLS after
     * STARTTLS); {@link #readLine()} reads byte by byte, so nothing after the last line read has
     * been consumed.
     */
    public Socket socket() {
      return socket;
    }

    /** Reads one command line without CRLF; null at end of stream. */
    public String readLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        if (b == '\n') {
          String s = line.toString(StandardCharsets.UTF_8);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        line.write(b);
      }
      return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    /** Returns the tag (first word) of an IMAP command line. */
    public static String tag(String line) {
      int sp = line.indexOf(' ');
      return sp < 0 ? line : line.substring(0, sp);
    }

    /** Sends text as is (add CRLF yourself). */
    public void send(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    /** Sends {@code count} bytes of {@code b} without a line end, in chunks. */
    public void sendEndless(byte b, long count) throws IOException {
      byte[] chunk = new byte[65536];
      java.util.Arrays.fill(chunk, b);
      for (long sent = 0; sent < count; sent += chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, count - sent));
      }
      out.flush();
    }

    /** Reads and discards until the client closes. */
    public void drain() throws IOException {
      byte[] buf = new byte[4096];
      while (in.read(buf) >= 0) {
        // discard
      }
    }
  }

  private final ServerSocket server;
  private final Script script;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();

  /** Starts the server on 127.0.0.1. */
  public FaultServer(Script script) throws IOException {
    this(script, InetAddress.getLoopbackAddress());
  }

  /**
   * Starts the server on the loopback address {@code bind} (127.0.0.2, say, a host name no test
   * certificate names).
   *
   * @throws IllegalArgumentException when {@code bind} is not a loopback address
   */
  public FaultServer(Script script, InetAddress bind) throws IOException {
    if (!bind.isLoopbackAddress()) {
      throw new IllegalArgumentException("test servers listen on loopback only: " + bind);
    }
    this.script = script;
    this.server = new ServerSocket(0, 50, bind);
    Thread t = new Thread(this::acceptLoop, "fault-server-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  /** Returns the port. */
  public int port() {
    return server.getLocalPort();
  }

  /** Returns what the scripts threw, other than the client going away. */
  public List<Throwable> failures() {
    return List.copyOf(failures);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread t =
            new Thread(
                () -> {
                  try (s) {
                    script.run(new Conversation(s));
                  } catch (IOException e) {
                    // the client hung up, as clients under test do when they give up
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  } catch (RuntimeException e) {
                    failures.add(e);
                  }
                },
                "fault-conversation");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // server closed
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
