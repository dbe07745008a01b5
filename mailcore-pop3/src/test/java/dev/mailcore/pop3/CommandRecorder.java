package dev.mailcore.pop3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback proxy in front of a POP3 server that records the verb of every command the client
 * sends, so tests can count round trips on the wire. Thread-safe.
 */
final class CommandRecorder implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final List<String> verbs = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  CommandRecorder(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "pop3-recorder");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Returns how many commands with {@code verb} the client sent so far. */
  long count(String verb) {
    return verbs.stream().filter(verb::equals).count();
  }

  List<String> verbs() {
    return List.copyOf(verbs);
  }

  private void accept() {
    try {
      while (true) {
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(server);
        pump(client.getInputStream(), server.getOutputStream(), true);
        pump(server.getInputStream(), client.getOutputStream(), false);
      }
    } catch (IOException e) {
      // the listener was closed: the test is over
    }
  }

  private void pump(InputStream in, OutputStream out, boolean record) {
    Thread t =
        new Thread(
            () -> {
              StringBuilder line = new StringBuilder();
              try {
                int b;
                while ((b = in.read()) >= 0) {
                  out.write(b);
                  if (in.available() == 0) {
                    out.flush();
                  }
                  if (record) {
                    if (b == '\n') {
                      String l = line.toString().trim();
                      int sp = l.indexOf(' ');
                      verbs.add((sp < 0 ? l : l.substring(0, sp)).toUpperCase(Locale.ROOT));
                      line.setLength(0);
                    } else {
                      line.append((char) b);
                    }
                  }
                }
                out.flush();
              } catch (IOException e) {
                // one side closed; the other pump ends on its own
              }
            },
            "pop3-recorder-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
  }

  @Override
  public String toString() {
    return "CommandRecorder" + verbs;
  }
}
