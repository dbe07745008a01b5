package dev.mailcore.testnet;

import dev.mailcore.testnet.FaultServer.Conversation;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
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
 * It runs as a {@link FaultServer} script. Thread-safe.
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
  private final FaultServer server;
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
    this.protocol = protocol;
    this.behaviour = behaviour;
    this.backendPort = backendPort;
    this.server = new FaultServer(this::converse, bind);
  }

  /** Returns the port. */
  public int port() {
    return server.port();
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

  private void converse(Conversation c) throws IOException {
    c.send(protocol == Protocol.IMAP ? "* OK StartTlsFront ready\r\n" : "+OK StartTlsFront ready\r\n");
    String line;
    while ((line = c.readLine()) != null) {
      plainLines.add(line);
      if (answer(line, c)) {
        upgrade(c.socket());
        return;
      }
    }
  }

  /** Answers one plain-text command; true when the connection is to turn into TLS now. */
  private boolean answer(String line, Conversation c) throws IOException {
    String tag = protocol == Protocol.IMAP ? Conversation.tag(line) : "";
    String verb = verb(line);
    boolean offer = behaviour != Behaviour.NOT_OFFERED;
    String reply;
    boolean upgrade = false;
    boolean end = false;
    if (protocol == Protocol.IMAP) {
      switch (verb) {
        case "CAPABILITY" -> reply = "* CAPABILITY IMAP4rev1" + (offer ? " STARTTLS" : "") + "\r\n" + tag + " OK done";
        case "STARTTLS" -> {
          upgrade = behaviour == Behaviour.UPGRADE;
          reply = tag + (upgrade ? " OK begin TLS now"
              : offer ? " NO [UNAVAILABLE] TLS is not available now" : " BAD unknown command");
        }
        case "NOOP" -> reply = tag + " OK done";
        case "LOGOUT" -> {
          reply = "* BYE bye\r\n" + tag + " OK done";
          end = true;
        }
        default -> reply = tag + " NO [PRIVACYREQUIRED] TLS first";
      }
    } else {
      switch (verb) {
        case "CAPA" -> reply = "+OK\r\nTOP\r\nUIDL\r\nUSER\r\n" + (offer ? "STLS\r\n" : "") + ".";
        case "STLS" -> {
          upgrade = behaviour == Behaviour.UPGRADE;
          reply = upgrade ? "+OK begin TLS now" : offer ? "-ERR TLS is not available now" : "-ERR unknown command";
        }
        case "NOOP" -> reply = "+OK";
        case "QUIT" -> {
          reply = "+OK bye";
          end = true;
        }
        default -> reply = "-ERR TLS first";
      }
    }
    c.send(reply + "\r\n");
    if (end) {
      c.socket().close();
    }
    return upgrade;
  }

  /** Turns the connection into TLS and relays it to the backend until either side closes. */
  private void upgrade(Socket plain) throws IOException {
    SSLSocket tls =
        (SSLSocket)
            TestTls.serverContext()
                .getSocketFactory()
                .createSocket(plain, plain.getInetAddress().getHostAddress(), plain.getPort(), true);
    tls.setUseClientMode(false);
    try (tls) {
      try {
        tls.startHandshake();
      } catch (IOException e) {
        handshakeFailures.add(e);
        return;
      }
      upgrades.incrementAndGet();
      try (Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort)) {
        new Conversation(backend).readLine(); // its greeting: the client was greeted already
        Thread up = new Thread(() -> relay(tls, backend), "starttls-front-relay");
        up.setDaemon(true);
        up.start();
        relay(backend, tls);
      }
    }
  }

  /** Copies {@code from} to {@code to} until {@code from} ends, then closes both. */
  private static void relay(Socket from, Socket to) {
    byte[] buf = new byte[16384];
    try (from; to) {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side closed or was cut: both are closed on the way out, as a relay must
    }
  }

  private static boolean isCredential(String verb) {
    return switch (verb) {
      case "LOGIN", "AUTHENTICATE", "USER", "PASS", "APOP", "AUTH" -> true;
      default -> false;
    };
  }

  private String verb(String line) {
    String rest =
        protocol == Protocol.IMAP
            ? line.substring(Math.min(line.length(), Conversation.tag(line).length() + 1))
            : line;
    int sp = rest.indexOf(' ');
    return (sp < 0 ? rest : rest.substring(0, sp)).toUpperCase(Locale.ROOT);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
