package dev.mailcore.examples.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A listening socket on an ephemeral loopback port whose accept loop hands each connection to
 * {@link #handle}, for the benchmark's sink and proxy.
 *
 * <p>Thread-safe.
 */
abstract class LoopbackServer implements AutoCloseable {
  private final ServerSocket server;

  LoopbackServer(String name) throws IOException {
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    Thread t = new Thread(this::accept, name + "-accept");
    t.setDaemon(true);
    t.start();
  }

  /** Handles one accepted connection; must not block the accept loop for long. */
  abstract void handle(Socket socket) throws IOException;

  /** Returns the port. */
  public final int port() {
    return server.getLocalPort();
  }

  @Override
  public final void close() throws IOException {
    server.close();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        handle(s);
      } catch (IOException e) {
        return;
      }
    }
  }
}
