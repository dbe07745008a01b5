package dev.mailcore.pop3;

import dev.mailcore.testnet.TestTls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A small POP3 server (RFC 1939, CAPA with PIPELINING) over a fixed maildrop, on a loopback
 * ephemeral port, optionally with implicit TLS (the test certificate). It reads commands in
 * whatever chunks the client sends and answers each in order, so pipelined clients work; a
 * {@link Fault} may take over any command of any connection to misbehave. Records every command
 * per connection, the largest burst of commands that arrived in one read, and the messages
 * deleted at QUIT. Thread-safe.
 */
final class MaildropPop3Server implements AutoCloseable {
  /** Takes over a command: returns true when it answered (or broke the connection) itself. */
  @FunctionalInterface
  interface Fault {
    boolean apply(int connection, String command, OutputStream out, Socket socket)
        throws IOException;
  }

  /** How the server secures and authenticates: implicit TLS, STLS offered, SASL offered. */
  record Options(boolean tls, boolean stls, boolean sasl) {}

  private final List<byte[]> messages;
  private final Fault fault;
  private final Options options;
  private final SSLContext context;
  private final List<String> logins = new CopyOnWriteArrayList<>();
  private final ServerSocket server;
  private final AtomicInteger connections = new AtomicInteger();
  private final Map<Integer, List<String>> commands = new ConcurrentHashMap<>();
  private final Map<Integer, Integer> bursts = new ConcurrentHashMap<>();
  private final Set<Integer> deleted = ConcurrentHashMap.newKeySet();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();

  MaildropPop3Server(List<byte[]> messages, boolean tls, Fault fault) throws IOException {
    this(messages, new Options(tls, false, false), fault);
  }

  MaildropPop3Server(List<byte[]> messages, Options options, Fault fault) throws IOException {
    this.messages = List.copyOf(messages);
    this.fault = fault;
    this.options = options;
    this.context = serverContext();
    this.server =
        options.tls()
            ? context.getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress())
            : new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "maildrop-pop3");
    t.setDaemon(true);
    t.start();
  }

  /** {@code count} messages of about {@code size} bytes, some lines starting with a dot. */
  static List<byte[]> messages(int count, int size) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      StringBuilder sb = new StringBuilder();
      sb.append("From: ana@shop.example\r\nTo: bob@example.org\r\n");
      sb.append("Subject: Order ").append(i).append("\r\n");
      sb.append("Message-ID: <order-").append(i).append("@shop.example>\r\n\r\n");
      int line = 0;
      while (sb.length() < size) {
        sb.append(line++ % 7 == 0 ? ".dotted line " : "line ").append(i).append(' ')
            .append("x".repeat(60)).append("\r\n");
      }
      out.add(sb.toString().getBytes(StandardCharsets.US_ASCII));
    }
    return out;
  }

  private static SSLContext serverContext() throws IOException {
    try (InputStream in = Files.newInputStream(TestTls.keystoreFile())) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(in, TestTls.PASSWORD.toCharArray());
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, TestTls.PASSWORD.toCharArray());
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(kmf.getKeyManagers(), null, null);
      return c;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  int port() {
    return server.getLocalPort();
  }

  int connections() {
    return connections.get();
  }

  /** The commands connection {@code n} (from 1, in order of connecting) sent, in order. */
  List<String> commands(int n) {
    return List.copyOf(commands.getOrDefault(n, List.of()));
  }

  /** How many commands of {@code verb} connection {@code n} sent. */
  long count(int n, String verb) {
    return commands(n).stream().filter(c -> verb(c).equals(verb)).count();
  }

  /** The most commands connection {@code n} had sent in one chunk, before reading a reply. */
  int burst(int n) {
    return bursts.getOrDefault(n, 0);
  }

  /** Each login as "USER name", "PLAIN name" or "XOAUTH2 user=...", in order of connection. */
  List<String> logins() {
    return List.copyOf(logins);
  }

  /** Messages (numbers from 1) deleted at a QUIT. */
  Set<Integer> deleted() {
    return new TreeSet<>(deleted);
  }

  List<Throwable> failures() {
    return List.copyOf(failures);
  }

  private static String verb(String command) {
    int sp = command.indexOf(' ');
    return (sp < 0 ? command : command.substring(0, sp)).toUpperCase(Locale.ROOT);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        int n = connections.incrementAndGet();
        commands.put(n, new CopyOnWriteArrayList<>());
        Thread t =
            new Thread(
                () -> {
                  try (s) {
                    serve(n, s);
                  } catch (IOException e) {
                    // the client went away, as clients under test do
                  } catch (RuntimeException e) {
                    failures.add(e);
                  }
                },
                "maildrop-pop3-" + n);
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(int n, Socket socket) throws IOException {
    Socket s = socket;
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    out.write("+OK maildrop ready\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    Set<Integer> marked = new TreeSet<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    boolean secure = options.tls();
    int r;
    while ((r = in.read(buf)) >= 0) {
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < r; i++) {
        if (buf[i] == '\n') {
          String l = line.toString(StandardCharsets.US_ASCII);
          lines.add(l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
          line.reset();
        } else {
          line.write(buf[i]);
        }
      }
      bursts.merge(n, lines.size(), Math::max);
      for (String command : lines) {
        commands.get(n).add(command);
        if (fault.apply(n, command, out, s)) {
          if (s.isClosed()) {
            return;
          }
          continue;
        }
        if (verb(command).equals("STLS") && options.stls() && !secure) {
          out.write("+OK begin TLS\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          javax.net.ssl.SSLSocket tls =
              (javax.net.ssl.SSLSocket)
                  context.getSocketFactory().createSocket(s, null, s.getPort(), true);
          tls.setUseClientMode(false);
          tls.startHandshake();
          s = tls;
          sockets.add(s);
          in = s.getInputStream();
          out = s.getOutputStream();
          secure = true;
          break; // RFC 2595 §4: nothing pipelined after STLS counts
        }
        if (verb(command).equals("CAPA")) {
          String capa = "+OK\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n"
              + (options.stls() && !secure ? "STLS\r\n" : "")
              + (options.sasl() ? "SASL PLAIN XOAUTH2\r\n" : "") + ".\r\n";
          out.write(capa.getBytes(StandardCharsets.US_ASCII));
          continue;
        }
        if (verb(command).equals("AUTH")) {
          String[] w = command.split(" ");
          String response = w.length > 2 ? w[2] : null;
          if (response == null) {
            out.write("+ \r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            response = readLine(in);
          }
          String decoded =
              new String(java.util.Base64.getDecoder().decode(response), StandardCharsets.UTF_8);
          logins.add(w[1].toUpperCase(Locale.ROOT) + " " + decoded.replace('\0', ' ')
              .replace('\u0001', ' ').trim());
          out.write("+OK logged in\r\n".getBytes(StandardCharsets.US_ASCII));
          continue;
        }
        if (verb(command).equals("USER")) {
          logins.add("USER " + command.substring(5));
        }
        if (!answer(command, out, marked)) {
          return;
        }
      }
      out.flush();
    }
  }

  /** Reads one line directly (for a SASL response, which nothing is pipelined behind). */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  /** Answers one command; returns false after QUIT. */
  private boolean answer(String command, OutputStream out, Set<Integer> marked)
      throws IOException {
    String[] w = command.split(" ");
    String verb = verb(command);
    StringBuilder sb = new StringBuilder();
    switch (verb) {
      case "USER", "PASS", "NOOP" -> sb.append("+OK\r\n");
      case "RSET" -> {
        marked.clear();
        sb.append("+OK\r\n");
      }
      case "STAT" -> sb.append("+OK ").append(messages.size()).append(' ').append(total())
          .append("\r\n");
      case "UIDL", "LIST" -> {
        sb.append("+OK\r\n");
        for (int i = 1; i <= messages.size(); i++) {
          sb.append(i).append(' ')
              .append(verb.equals("UIDL") ? "uid-" + i : messages.get(i - 1).length)
              .append("\r\n");
        }
        sb.append(".\r\n");
      }
      case "TOP", "RETR" -> {
        int i = Integer.parseInt(w[1]);
        if (i < 1 || i > messages.size()) {
          sb.append("-ERR no such message\r\n");
        } else {
          out.write(sb.append("+OK\r\n").toString().getBytes(StandardCharsets.US_ASCII));
          out.write(stuffed(messages.get(i - 1), verb.equals("TOP")));
          out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
          return true;
        }
      }
      case "DELE" -> {
        marked.add(Integer.parseInt(w[1]));
        sb.append("+OK\r\n");
      }
      case "QUIT" -> {
        deleted.addAll(marked);
        out.write("+OK bye\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return false;
      }
      default -> sb.append("-ERR unknown command\r\n");
    }
    out.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
    return true;
  }

  private long total() {
    return messages.stream().mapToLong(m -> m.length).sum();
  }

  /** The message dot-stuffed (RFC 1939 §3), whole or only its header section. */
  static byte[] stuffed(byte[] message, boolean headersOnly) {
    String text = new String(message, StandardCharsets.US_ASCII);
    if (headersOnly) {
      text = text.substring(0, text.indexOf("\r\n\r\n") + 4);
    }
    StringBuilder sb = new StringBuilder();
    for (String l : text.split("\r\n", -1)) {
      sb.append(l.startsWith(".") ? "." + l : l).append("\r\n");
    }
    // split leaves one empty piece after the last CRLF
    sb.setLength(sb.length() - 2);
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
