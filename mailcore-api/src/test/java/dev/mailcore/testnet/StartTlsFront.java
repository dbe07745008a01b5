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
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;

/**
 * A STARTTLS (IMAP, RFC 3501 §6.2.1) or STLS (POP3, RFC 2595 §4) front on a loopback ephemeral
 * port for a plain-text server without it (GreenMail 2.1 has neither): it greets and answers
 * CAPABILITY/CAPA in plain text, upgrades the connection to TLS with {@link TestTls}'s
 * certificate on STARTTLS/STLS, then connects to the plain server, swallows its greeting and
 * relays the decrypted stream both ways. Before TLS it refuses every other command, and it
 * records what the client said in plain text, so tests can prove that no credential went out
 * unencrypted. A {@link Behaviour} makes it a server without STARTTLS or one that refuses it.
 * Thread-safe.
 */
public final class StartTlsFront implements AutoCloseable {
  /** The protocol spoken before TLS. */
  public enum Protocol {
    IMAP,
    POP3
  }

  /** How the front treats STARTTLS. */
  public enum Behaviour {
    /** Offers STARTTLS (STLS) and upgrades. */
    UPGRADE,
    /** Does not offer it and answers it as an unknown command (a stripped capability). */
    NOT_OFFERED,
    /** Offers it but answers it with an error. */
    REFUSE
  }

  private final Protocol protocol;
  private final Behaviour behaviour;
  private final int backendPort;
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<String> plainLines = new CopyOnWriteArrayList<>();
  private final List<Throwable> handshakeFailures = new CopyOnWriteArrayList<>();
  private final AtomicInteger upgrades = new AtomicInteger();

  /** Starts a front for {@code protocol} on 127.0.0.1 that relays to {@code 127.0.0.1:backendPort}. */
  public StartTlsFront(Protocol protocol, Behaviour behaviour, int backendPort) throws IOException {
    this(protocol, behaviour, backendPort, InetAddress.getLoopbackAddress());
  }

  /**
   * Starts a front listening on the loopback address {@code bind} (127.0.0.2, say, which the
   * certificate does not name, for host-name checks).
   *
   * @throws IllegalArgumentException when {@code bind} is not a loopback address
   */
  public StartTlsFront(Protocol protocol, Behaviour behaviour, int backendPort, InetAddress bind)
      throws IOException {
    if (!bind.isLoopbackAddress()) {
      throw new IllegalArgumentException("test servers listen on loopback only: " + bind);
    }
    this.protocol = protocol;
    this.behaviour = behaviour;
    this.backendPort = backendPort;
    this.server = new ServerSocket(0, 50, bind);
    Thread t = new Thread(this::acceptLoop, "starttls-front-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  /** Returns the port. */
  public int port() {
    return server.getLocalPort();
  }

  /** Returns every line clients sent before TLS, in order. */
  public List<String> plainLines() {
    return List.copyOf(plainLines);
  }

  /**
   * Returns true when a client sent a credential before TLS: IMAP LOGIN or AUTHENTICATE, POP3
   * USER, PASS, APOP or AUTH.
   */
  public boolean sawPlainCredentials() {
    return plainLines.stream().anyMatch(l -> isCredential(verb(l)));
  }

  /** Returns how many connections were upgraded to TLS (handshake completed). */
  public int upgrades() {
    return upgrades.get();
  }

  /** Returns the TLS handshakes that failed (a client that distrusts the certificate). */
  public List<Throwable> handshakeFailures() {
    return List.copyOf(handshakeFailures);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread t = new Thread(() -> converse(s), "starttls-front-conversation");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void converse(Socket plain) {
    try {
      InputStream in = plain.getInputStream();
      OutputStream out = plain.getOutputStream();
      send(out, protocol == Protocol.IMAP ? "* OK StartTlsFront ready" : "+OK StartTlsFront ready");
      String line;
      while ((line = readLine(in)) != null) {
        plainLines.add(line);
        if (answer(line, out)) {
          upgrade(plain);
          return;
        }
      }
      plain.close();
    } catch (IOException e) {
      closeQuietly(plain); // the client went away
    }
  }

  /** Answers one plain-text command; true when the connection is to turn into TLS now. */
  private boolean answer(String line, OutputStream out) throws IOException {
    String tag = protocol == Protocol.IMAP ? tag(line) : "";
    String verb = verb(line);
    boolean offer = behaviour != Behaviour.NOT_OFFERED;
    if (protocol == Protocol.IMAP) {
      switch (verb) {
        case "CAPABILITY" -> send(out, "* CAPABILITY IMAP4rev1" + (offer ? " STARTTLS" : "") + "\r\n"
            + tag + " OK done");
        case "STARTTLS" -> {
          if (behaviour == Behaviour.UPGRADE) {
            send(out, tag + " OK begin TLS now");
            return true;
          }
          send(out, tag + (offer ? " NO [UNAVAILABLE] TLS is not available now" : " BAD unknown command"));
        }
        case "NOOP" -> send(out, tag + " OK done");
        case "LOGOUT" -> {
          send(out, "* BYE bye\r\n" + tag + " OK done");
          throw new IOException("logged out");
        }
        default -> send(out, tag + " NO [PRIVACYREQUIRED] TLS first");
      }
    } else {
      switch (verb) {
        case "CAPA" -> send(out, "+OK\r\nTOP\r\nUIDL\r\nUSER\r\n" + (offer ? "STLS\r\n" : "") + ".");
        case "STLS" -> {
          if (behaviour == Behaviour.UPGRADE) {
            send(out, "+OK begin TLS now");
            return true;
          }
          send(out, offer ? "-ERR TLS is not available now" : "-ERR unknown command");
        }
        case "NOOP" -> send(out, "+OK");
        case "QUIT" -> {
          send(out, "+OK bye");
          throw new IOException("quit");
        }
        default -> send(out, "-ERR TLS first");
      }
    }
    return false;
  }

  private void upgrade(Socket plain) throws IOException {
    SSLSocket tls =
        (SSLSocket)
            TestTls.serverContext()
                .getSocketFactory()
                .createSocket(plain, plain.getInetAddress().getHostAddress(), plain.getPort(), true);
    tls.setUseClientMode(false);
    sockets.add(tls);
    try {
      tls.startHandshake();
    } catch (IOException e) {
      handshakeFailures.add(e);
      closeQuietly(tls);
      return;
    }
    upgrades.incrementAndGet();
    Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort);
    sockets.add(backend);
    InputStream fromBackend = backend.getInputStream();
    readLine(fromBackend); // the backend's own greeting: the client was greeted already
    pump(tls.getInputStream(), backend.getOutputStream(), tls, backend);
    pump(fromBackend, tls.getOutputStream(), tls, backend);
  }

  private static void pump(InputStream from, OutputStream to, Socket a, Socket b) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16384];
              try {
                int n;
                while ((n = from.read(buf)) > 0) {
                  to.write(buf, 0, n);
                  to.flush();
                }
              } catch (IOException e) {
                // one side closed: close both below, as a relay that lost a side must
              } finally {
                closeQuietly(a);
                closeQuietly(b);
              }
            },
            "starttls-front-relay");
    t.setDaemon(true);
    t.start();
  }

  private static boolean isCredential(String verb) {
    return switch (verb) {
      case "LOGIN", "AUTHENTICATE", "USER", "PASS", "APOP", "AUTH" -> true;
      default -> false;
    };
  }

  private String verb(String line) {
    String rest = protocol == Protocol.IMAP ? line.substring(Math.min(line.length(), tag(line).length() + 1)) : line;
    int sp = rest.indexOf(' ');
    return (sp < 0 ? rest : rest.substring(0, sp)).toUpperCase(Locale.ROOT);
  }

  private static String tag(String line) {
    int sp = line.indexOf(' ');
    return sp < 0 ? line : line.substring(0, sp);
  }

  private static void send(OutputStream out, String text) throws IOException {
    out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Reads one line byte by byte, so that nothing after it (a TLS ClientHello) is consumed. */
  private static String readLine(InputStream in) throws IOException {
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
    for (Socket s : sockets) {
      closeQuietly(s);
    }
  }
}
