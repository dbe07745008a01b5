package dev.mailcore.pop3.internal;

import dev.mailcore.Credentials;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailProtocolException;
import dev.mailcore.TlsMode;
import dev.mailcore.internal.QuickAckInput;
import dev.mailcore.internal.StoreSettings;
import dev.mailcore.internal.Transcript;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A second, read-only POP3 session of our own that sends TOP and RETR commands pipelined (RFC
 * 2449 §6.6, capability PIPELINING), for bulk reads next to Angus Mail's session.
 *
 * <p>Why our own: Angus's POP3 protocol sends one command and waits for its reply, and pairs at
 * most LIST and RETR of one message, so listing n messages costs n round trips (at 50 ms each,
 * 20 messages a second whatever the bandwidth). Angus has no API to write several commands
 * before reading, nor to reach its socket. This class does only that: log in (implicit TLS or
 * STLS with the same trust and host-name checks as Angus; USER/PASS, AUTH PLAIN or AUTH XOAUTH2),
 * read UIDL, then keep a bounded window of TOP/RETR commands outstanding and read the replies in
 * order through a {@link ReplyReader} with strict limits. MIME parsing and everything else stay
 * with Jakarta Mail.
 *
 * <p>Why a second session rather than Angus's own: its session owns the maildrop and its DELE
 * marks, and its socket is Angus's to read. This session never sends DELE or RSET, so deletion
 * semantics stay those of the main session (DELE at its QUIT; a drop deletes nothing). Messages
 * are matched between the sessions by UIDL. A server that refuses a second session (RFC 2449
 * {@code [IN-USE]}), or lacks PIPELINING, makes {@link #open} return empty and the caller reads
 * sequentially through Angus instead.
 *
 * <p>Not thread-safe: used by the one thread of its INBOX.
 */
final class Pop3Pipeline implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Pop3Pipeline.class);
  private static final Logger transcript = LoggerFactory.getLogger("dev.mailcore.pop3.transcript");

  /**
   * Most commands outstanding at once: about 3 KB of commands, which the server's receive buffer
   * holds even while it is blocked writing replies, so the two sides never wait on each other.
   */
  static final int MAX_COMMANDS = 256;
  /**
   * Most reply bytes (estimated from LIST sizes) outstanding at once: they wait in socket buffers
   * and at the server, not in this heap; 4 MiB per round trip is 80 MB/s at 50 ms.
   */
  static final long WINDOW_BYTES = 4L << 20;
  /** Estimate of a TOP n 0 reply, for the window. */
  private static final long TOP_ESTIMATE = 2048;

  private final String host;
  private final Socket socket;
  private final ReplyReader in;
  private final OutputStream out;
  private final Map<String, Integer> numbers;
  private final ArrayDeque<Integer> outstanding = new ArrayDeque<>();
  private List<Request> plan = List.of();
  private long outstandingBytes;
  private int sent;
  private int delivered;
  private String current = "";
  private boolean broken;

  private Pop3Pipeline(
      String host, Socket socket, ReplyReader in, OutputStream out, Map<String, Integer> numbers) {
    this.host = host;
    this.socket = socket;
    this.in = in;
    this.out = out;
    this.numbers = numbers;
  }

  /** What to fetch of one message: its UIDL and LIST size, and whether whole (RETR) or TOP n 0. */
  record Request(String uidl, long size, boolean whole) {}

  /** Receives each reply in order of the requests. */
  interface Replies {
    /**
     * Returns the sink for the body of the positive reply to {@code request}; it is written the
     * dot-unstuffed body and then {@link #done} is called.
     */
    OutputStream sink(int index, Request request) throws IOException;

    /** Called when the body written to the last sink is complete. */
    void done(int index, Request request) throws IOException;

    /** Called instead when the server refused (or no longer lists) the message. */
    void refused(int index, Request request, String reason);
  }

  /**
   * Opens the session: connects, secures it as configured, checks CAPA for PIPELINING, logs in
   * and reads UIDL. Returns empty, after logging why at DEBUG, when the server refuses a second
   * session or lacks PIPELINING; the caller falls back to sequential reads.
   */
  static Optional<Pop3Pipeline> open(StoreSettings settings) {
    String host = settings.host();
    int port = settings.port(995, 110);
    Socket socket = null;
    try {
      socket = connect(settings, port);
      ReplyReader in = reader(socket, settings);
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 8192);
      if (!in.status("greeting").ok()) {
        return refuse(socket, host, "greeting was -ERR");
      }
      Set<String> capa = capa(in, out);
      if (settings.tls() == TlsMode.STARTTLS || settings.tls() == TlsMode.STARTTLS_IF_OFFERED) {
        if (capa.contains("STLS")) {
          send(out, "STLS");
          if (!in.status("STLS").ok()) {
            return refuse(socket, host, "STLS refused");
          }
          socket = startTls(settings, socket, port);
          in = reader(socket, settings);
          out = new BufferedOutputStream(socket.getOutputStream(), 8192);
          capa = capa(in, out);
        } else if (settings.tls() == TlsMode.STARTTLS || !settings.allowsPlaintext()) {
          return refuse(socket, host, "no STLS offered");
        }
      }
      if (!capa.contains("PIPELINING")) {
        return refuse(socket, host, "CAPA lists no PIPELINING");
      }
      Optional<String> refused = login(settings.credentials(), capa, in, out);
      if (refused.isPresent()) {
        return refuse(socket, host, "login refused: " + refused.get());
      }
      send(out, "UIDL");
      ReplyReader.Status s = in.status("UIDL");
      if (!s.ok()) {
        return refuse(socket, host, "UIDL refused: " + s);
      }
      Map<String, Integer> numbers = uidl(in);
      log.debug("pipelined POP3 session to {}:{} open, {} messages", host, port, numbers.size());
      return Optional.of(new Pop3Pipeline(host, socket, in, out, numbers));
    } catch (MailProtocolException e) {
      closeQuietly(socket);
      throw e;
    } catch (IOException e) {
      // the main session is up; a second one that cannot connect only costs speed
      log.debug("no pipelined POP3 session to {}:{}; reading sequentially", host, port, e);
      closeQuietly(socket);
      return Optional.empty();
    }
  }

  private static Socket connect(StoreSettings settings, int port) throws IOException {
    Socket plain = new Socket();
    try {
      plain.setTcpNoDelay(true);
      plain.setSoTimeout((int) settings.readTimeout().toMillis());
      plain.connect(
          new InetSocketAddress(settings.host(), port), (int) settings.connectTimeout().toMillis());
      return settings.tls() == TlsMode.IMPLICIT ? startTls(settings, plain, port) : plain;
    } catch (IOException | RuntimeException e) {
      closeQuietly(plain);
      throw e;
    }
  }

  /** Layers TLS over {@code s}, checking the certificate and the host name (RFC 2595 §2.4). */
  private static Socket startTls(StoreSettings settings, Socket s, int port) throws IOException {
    SSLSocket tls =
        (SSLSocket) settings.tlsSocketFactory().createSocket(s, settings.host(), port, true);
    SSLParameters p = tls.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    tls.setSSLParameters(p);
    tls.setUseClientMode(true);
    tls.startHandshake();
    return tls;
  }

  private static ReplyReader reader(Socket s, StoreSettings settings) throws IOException {
    return new ReplyReader(new QuickAckInput(s.getInputStream(), s), settings.readTimeout());
  }

  private static Optional<Pop3Pipeline> refuse(Socket socket, String host, String why) {
    log.debug("no pipelined POP3 session to {}: {}; reading sequentially", host, why);
    try {
      socket.close();
    } catch (IOException e) {
      // nothing was asked of this session: closing it loses nothing
      log.debug("closing the refused session failed", e);
    }
    return Optional.empty();
  }

  private static Set<String> capa(ReplyReader in, OutputStream out) throws IOException {
    send(out, "CAPA");
    Set<String> capa = new TreeSet<>();
    if (!in.status("CAPA").ok()) {
      return capa;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    in.body(body, 64 * 1024, "CAPA");
    for (String line : body.toString(StandardCharsets.ISO_8859_1).split("\r?\n")) {
      String l = line.trim().toUpperCase(Locale.ROOT);
      if (!l.isEmpty()) {
        capa.add(l);
        int sp = l.indexOf(' ');
        if (sp > 0) {
          capa.add(l.substring(0, sp));
          if (l.startsWith("SASL ")) {
            for (String m : l.substring(5).trim().split("\\s+")) {
              capa.add("SASL=" + m);
            }
          }
        }
      }
    }
    return capa;
  }

  /** Logs in; returns the server's refusal, or empty when logged in. */
  private static Optional<String> login(
      Credentials c, Set<String> capa, ReplyReader in, OutputStream out) throws IOException {
    if (c.isOAuth2()) {
      String ir = "user=" + c.username() + "\u0001auth=Bearer " + c.secret() + "\u0001\u0001";
      return auth(in, out, "XOAUTH2", ir);
    }
    if (capa.contains("SASL=PLAIN") && !capa.contains("USER")) {
      return auth(in, out, "PLAIN", "\0" + c.username() + "\0" + c.secret());
    }
    send(out, "USER " + c.username());
    ReplyReader.Status s = in.status("USER");
    if (!s.ok()) {
      return Optional.of(s.toString());
    }
    send(out, "PASS " + c.secret());
    s = in.status("PASS");
    return s.ok() ? Optional.empty() : Optional.of(s.toString());
  }

  /** AUTH with an initial response (RFC 5034 §4); a challenge gets an empty answer. */
  private static Optional<String> auth(
      ReplyReader in, OutputStream out, String mechanism, String initial) throws IOException {
    send(out, "AUTH " + mechanism + " "
        + Base64.getEncoder().encodeToString(initial.getBytes(StandardCharsets.UTF_8)));
    String line = in.line(ReplyReader.MAX_STATUS_LINE, "AUTH");
    if (line.startsWith("+ ") || line.equals("+")) {
      // XOAUTH2 sends its error as a challenge; the empty response ends the exchange
      send(out, "");
      line = in.line(ReplyReader.MAX_STATUS_LINE, "AUTH");
    }
    if (line.startsWith("+OK")) {
      return Optional.empty();
    }
    return Optional.of(ReplyReader.printable(line));
  }

  /** Reads a UIDL listing: message number to id, as id to number. */
  private static Map<String, Integer> uidl(ReplyReader in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    // about 80 bytes a line (RFC 1939 §7: ids of at most 70 characters); 10 million messages
    in.body(body, 1L << 30, "UIDL");
    java.util.TreeMap<Integer, String> byNumber = new java.util.TreeMap<>();
    for (String line : body.toString(StandardCharsets.ISO_8859_1).split("\r?\n")) {
      if (line.isEmpty()) {
        continue;
      }
      int sp = line.indexOf(' ');
      try {
        if (sp < 1) {
          throw new NumberFormatException();
        }
        byNumber.put(Integer.parseInt(line.substring(0, sp)), line.substring(sp + 1).trim());
      } catch (NumberFormatException e) {
        throw new MailProtocolException(
            "server sent a malformed UIDL line: " + ReplyReader.printable(line), e);
      }
    }
    // the same distinct ids as the main session's (MaildropIndex), so copies sharing a UIDL match
    String[] ids = MaildropIndex.distinct(List.copyOf(byNumber.values()));
    Map<String, Integer> numbers = new HashMap<>(ids.length * 2);
    int i = 0;
    for (Integer n : byNumber.keySet()) {
      numbers.put(ids[i++], n);
    }
    return numbers;
  }

  private static void send(OutputStream out, String command) throws IOException {
    queue(out, command);
    out.flush();
  }

  private static void queue(OutputStream out, String command) throws IOException {
    if (transcript.isTraceEnabled()) {
      transcript.trace("C: {}", Transcript.redact(command));
    }
    out.write(command.getBytes(StandardCharsets.UTF_8));
    out.write('\r');
    out.write('\n');
  }

  /** Returns true when this session lists {@code uidl}. */
  boolean has(String uidl) {
    return numbers.containsKey(uidl);
  }

  /** Returns true once a failure has made this session unusable. */
  boolean isBroken() {
    return broken;
  }

  /**
   * Starts reading {@code requests} (a whole listing, in order); replies are then taken batch by
   * batch with {@link #fetch}. Commands run ahead of the batch being read, up to the window, so
   * the server works on the next batch while the caller handles this one. Replies still
   * outstanding from an earlier plan are read and dropped first.
   *
   * @throws dev.mailcore.MailProtocolException or {@link MailConnectionException} as {@link
   *     #fetch} does, while dropping those replies
   */
  void plan(List<Request> requests) {
    run("TOP/RETR", this::discardOutstanding);
    plan = List.copyOf(requests);
    sent = 0;
    delivered = 0;
  }

  /**
   * Takes the replies for requests {@code from} (the next not yet taken) to {@code to}
   * (exclusive) of the plan, handing each to {@code replies} in order, while keeping at most
   * {@link #MAX_COMMANDS} commands and about {@link #WINDOW_BYTES} of expected replies
   * outstanding. A message this session does not list, or whose command the server refuses, is
   * reported through {@link Replies#refused} and the rest go on.
   *
   * @throws IllegalArgumentException when {@code from} is not the next request to take
   * @throws MailProtocolException when a reply breaks the framing or its limits; the session is
   *     closed
   * @throws MailConnectionException when the connection fails or times out; the session is closed
   */
  void fetch(int from, int to, Replies replies) {
    if (broken) {
      throw new IllegalStateException("pipelined POP3 session is closed");
    }
    if (from != delivered || to > plan.size() || to < from) {
      throw new IllegalArgumentException(
          "requests " + from + ".." + to + " out of order; next is " + delivered);
    }
    run(
        "TOP/RETR",
        () -> {
          for (int i = from; i < to; i++) {
            Request r = plan.get(i);
            Integer n = numbers.get(r.uidl());
            if (n == null) {
              replies.refused(i, r, "not listed by the second session");
              delivered = i + 1;
              continue;
            }
            while (sent <= i) {
              fill();
            }
            int head = outstanding.poll();
            if (head != i) {
              throw new IllegalStateException("reply order lost: " + head + " for " + i);
            }
            outstandingBytes -= estimate(r);
            current = command(r, n);
            ReplyReader.Status s = in.status(current);
            if (transcript.isTraceEnabled()) {
              transcript.trace("S: {} (for {})", s, current);
            }
            if (s.ok()) {
              OutputStream sink = replies.sink(i, r);
              in.body(sink, budget(r), current);
              replies.done(i, r);
            } else {
              replies.refused(i, r, current + ": " + s);
            }
            delivered = i + 1;
            if (outstanding.size() < MAX_COMMANDS * 3 / 4) {
              fill(); // top the window up while it is still three quarters full
            }
          }
          fill(); // let the server work on what comes next while the caller handles these
        });
  }

  /** Sends commands from the plan until the window is full; flushes what it wrote. */
  private void fill() throws IOException {
    boolean wrote = false;
    while (sent < plan.size() && outstanding.size() < MAX_COMMANDS) {
      Request r = plan.get(sent);
      Integer n = numbers.get(r.uidl());
      if (n == null) {
        sent++;
        continue;
      }
      long estimate = estimate(r);
      if (!outstanding.isEmpty() && outstandingBytes + estimate > WINDOW_BYTES) {
        break;
      }
      queue(out, command(r, n));
      outstanding.add(sent);
      outstandingBytes += estimate;
      sent++;
      wrote = true;
    }
    if (wrote) {
      out.flush();
    }
  }

  /** Reads and drops the replies to commands sent ahead that nobody will take. */
  private void discardOutstanding() throws IOException {
    while (!outstanding.isEmpty()) {
      Request r = plan.get(outstanding.poll());
      current = command(r, numbers.get(r.uidl()));
      if (in.status(current).ok()) {
        in.body(OutputStream.nullOutputStream(), budget(r), current);
      }
    }
    outstandingBytes = 0;
  }

  /** Something that reads from the connection. */
  private interface Exchange {
    void run() throws IOException;
  }

  /** Runs {@code exchange}, closing the session and translating the failure if it fails. */
  private void run(String what, Exchange exchange) {
    current = what;
    try {
      exchange.run();
    } catch (MailProtocolException e) {
      close();
      throw new MailProtocolException(
          "server broke the protocol: pipelined " + current + " on " + host + ": "
              + e.getMessage(),
          e);
    } catch (SocketTimeoutException e) {
      close();
      throw new MailConnectionException("timed out: pipelined " + current + " on " + host, true, e);
    } catch (IOException e) {
      close();
      throw new MailConnectionException(
          "connection failed: pipelined " + current + " on " + host + ": " + e.getMessage(),
          true,
          e);
    } catch (MailException e) {
      close();
      throw e;
    }
  }

  private static String command(Request r, int number) {
    return r.whole() ? "RETR " + number : "TOP " + number + " 0";
  }

  private static long estimate(Request r) {
    return r.whole() ? Math.max(r.size(), 1) : Math.min(Math.max(r.size(), 1), TOP_ESTIMATE);
  }

  /** Returns the most bytes a reply may have ({@link Pop3Messages#budget}). */
  static long budget(Request r) {
    return Pop3Messages.budget(r.size());
  }

  /** Returns true while commands sent ahead still await their replies. */
  boolean hasOutstanding() {
    return !outstanding.isEmpty();
  }

  /** Sends QUIT (this session marked nothing) and closes; never throws. */
  @Override
  public void close() {
    if (broken) {
      return;
    }
    broken = true;
    try {
      if (!socket.isClosed()) {
        send(out, "QUIT");
      }
    } catch (IOException e) {
      // a read-only session: whether QUIT arrives changes nothing on the server
      log.debug("QUIT on the pipelined POP3 session to {} failed", host, e);
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket s) {
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (IOException e) {
      // closing a socket we are done with; nothing is lost
      log.debug("closing a POP3 socket failed", e);
    }
  }

  @Override
  public String toString() {
    return "Pop3Pipeline{" + host + ", " + numbers.size() + " messages}";
  }
}
