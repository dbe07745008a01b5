package dev.mailcore.pop3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback proxy in front of a POP3 server that records the verb of every command the client
 * sends (also per connection, with the largest burst of commands sent before waiting), so tests
 * can count round trips on the wire. With {@code advertisePipelining} it adds PIPELINING to the
 * server's CAPA reply (GreenMail reads commands in order but does not list it). Thread-safe.
 */
final class CommandRecorder implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final List<String> verbs = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final boolean advertisePipelining;
  private final Map<Integer, List<String>> byConnection = new ConcurrentHashMap<>();
  private final Map<Integer, Integer> bursts = new ConcurrentHashMap<>();

  CommandRecorder(int targetPort) throws IOException {
    this(targetPort, false);
  }

  CommandRecorder(int targetPort, boolean advertisePipelining) throws IOException {
    this.targetPort = targetPort;
    this.advertisePipelining = advertisePipelining;
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

  /** How many connections the client opened. */
  int connections() {
    return byConnection.size();
  }

  /** How many commands with {@code verb} connection {@code n} (from 1) sent. */
  long count(int n, String verb) {
    return byConnection.getOrDefault(n, List.of()).stream().filter(verb::equals).count();
  }

  /** The most commands connection {@code n} sent in one burst, before waiting for a reply. */
  int burst(int n) {
    return bursts.getOrDefault(n, 0);
  }

  /** Closes every proxied connection (the listener stays), as a network failure would. */
  void dropConnections() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }

  private void accept() {
    try {
      while (true) {
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(server);
        int n = byConnection.size() + 1;
        byConnection.put(n, new CopyOnWriteArrayList<>());
        pump(client.getInputStream(), server.getOutputStream(), n, true);
        pump(server.getInputStream(), client.getOutputStream(), n, false);
      }
    } catch (IOException e) {
      // the listener was closed: the test is over
    }
  }

  private void pump(
      InputStream in, OutputStream out, int connection, boolean record) {
    Thread t =
        new Thread(
            () -> {
              StringBuilder line = new StringBuilder();
              int burst = 0;
              java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();
              boolean inCapa = false;
              try {
                int b;
                while ((b = in.read()) >= 0) {
                  if (record) {
                    if (b == '\n') {
                      String l = line.toString().trim();
                      int sp = l.indexOf(' ');
                      String verb = (sp < 0 ? l : l.substring(0, sp)).toUpperCase(Locale.ROOT);
                      verbs.add(verb);
                      byConnection.get(connection).add(verb);
                      burst++;
                      line.setLength(0);
                    } else {
                      line.append((char) b);
                    }
                  }
                  if (!record && advertisePipelining) {
                    // GreenMail's CAPA reply is the only one with a line "UIDL": PIPELINING
                    // goes in before its final dot, each line out in one write
                    held.write(b);
                    if (b == '\n') {
                      String l = line.toString().trim();
                      if (l.equals("UIDL")) {
                        inCapa = true;
                      } else if (l.equals(".") && inCapa) {
                        inCapa = false;
                        out.write("PIPELINING\r\n".getBytes(StandardCharsets.US_ASCII));
                      }
                      held.writeTo(out);
                      held.reset();
                      line.setLength(0);
                    } else if (line.length() < 16) {
                      line.append((char) b);
                    }
                  } else {
                    out.write(b);
                  }
                  if (in.available() == 0) {
                    out.flush();
                    if (record) {
                      bursts.merge(connection, burst, Math::max);
                      burst = 0;
                    }
                  }
                }
                held.writeTo(out);
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
