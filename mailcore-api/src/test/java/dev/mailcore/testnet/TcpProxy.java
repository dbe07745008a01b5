package dev.mailcore.testnet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on a loopback ephemeral port in front of a loopback server, for tests that drop
 * connections: {@link #cut()} closes every open connection at once (as a network failure would),
 * while new connections keep working; {@link #clientLines()} tells what the clients sent, so tests
 * can count commands (round trips) on the wire. Thread-safe.
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final List<String> clientLines = new CopyOnWriteArrayList<>();
  private volatile boolean refusing;

  /** Starts a proxy to {@code 127.0.0.1:targetPort}. */
  public TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  /** Returns the proxy's port. */
  public int port() {
    return server.getLocalPort();
  }

  /** Returns how many connections were accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /** Returns the lines (without CRLF) that clients sent through the proxy so far, in order. */
  public List<String> clientLines() {
    return List.copyOf(clientLines);
  }

  /** Closes every open connection; later connections are forwarded as before. */
  public void cut() {
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  /** While true, new connections are closed at once (a server that is down). */
  public void refuse(boolean value) {
    this.refusing = value;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        accepted.incrementAndGet();
        if (refusing) {
          client.close();
          continue;
        }
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private void pump(Socket from, Socket to, boolean record) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16384];
              StringBuilder line = new StringBuilder();
              try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                  if (record) {
                    record(line, buf, n); // before forwarding: recorded before any reply
                  }
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // one side closed or was cut: close the other too, as a broken link would
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void record(StringBuilder line, byte[] buf, int n) {
    for (int i = 0; i < n; i++) {
      char c = (char) (buf[i] & 0xff);
      if (c == '\n') {
        int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
        clientLines.add(line.substring(0, end));
        line.setLength(0);
      } else {
        line.append(c);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing a test socket: nothing to recover
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    cut();
  }
}
