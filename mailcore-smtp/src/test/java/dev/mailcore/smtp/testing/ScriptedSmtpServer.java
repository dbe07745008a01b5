package dev.mailcore.smtp.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A scriptable SMTP server on loopback for tests: offers the extensions it is told to
 * (PIPELINING, CHUNKING, SMTPUTF8, DSN, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, STARTTLS, AUTH),
 * answers each {@link SmtpStep} as scripted (per command occurrence or per recipient), injects
 * {@link SocketFault}s, and records every transaction with the number of round trips it took.
 *
 * <p>A round trip is counted each time the server has replies to send and finds no more client
 * input waiting: it then flushes its replies and waits, so a client that pipelines its commands
 * causes one round trip per group, however many commands the group holds.
 *
 * <p>Free of test-framework types, so it can be published for users' tests. Thread-safe: scripts
 * may be changed while clients are connected; each connection runs on its own thread.
 *
 * <pre>{@code
 * try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().pipelining(true).start()) {
 *   server.replyToRecipient("nobody@example.test", "550 5.1.1 No such user");
 *   // ... send to server.address() ...
 *   server.transactions(); // what arrived
 * }
 * }</pre>
 */
public final class ScriptedSmtpServer implements AutoCloseable {
  private final Builder config;
  private final ServerSocket serverSocket;
  private final Thread acceptor;
  private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();
  private final List<RecordedTransaction> transactions = new CopyOnWriteArrayList<>();
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private final Map<SmtpStep, AtomicInteger> occurrences = new EnumMap<>(SmtpStep.class);
  private final Map<String, Reply> scripted = new ConcurrentHashMap<>();
  private final Map<String, String> recipientReplies = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger peakConnections = new AtomicInteger();
  /** Connections accepted and not yet ended or past their QUIT. */
  private final AtomicInteger liveConversations = new AtomicInteger();
  private final AtomicLong roundTrips = new AtomicLong();
  private final Object closedLock = new Object();
  private volatile boolean closed;

  private record Reply(String text, SocketFault fault) {}

  private ScriptedSmtpServer(Builder config) throws IOException {
    this.config = config;
    for (SmtpStep s : SmtpStep.values()) {
      occurrences.put(s, new AtomicInteger());
    }
    serverSocket = new ServerSocket();
    serverSocket.setReuseAddress(true);
    serverSocket.bind(new InetSocketAddress(config.bindAddress, config.port), 200);
    acceptor = new Thread(this::acceptLoop, "scripted-smtp-accept-" + serverSocket.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Returns a builder: 127.0.0.1, an ephemeral port, PIPELINING and 8BITMIME on, no TLS. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns where the server listens. */
  public InetSocketAddress address() {
    return new InetSocketAddress(serverSocket.getInetAddress(), serverSocket.getLocalPort());
  }

  /** Returns the port. */
  public int port() {
    return serverSocket.getLocalPort();
  }

  /** Answers the {@code occurrence}-th {@code step} (from 1, over all connections) with {@code reply}. */
  public ScriptedSmtpServer reply(SmtpStep step, int occurrence, String reply) {
    scripted.put(step + "#" + occurrence, new Reply(checkReply(reply), null));
    return this;
  }

  /** Answers every {@code step} with {@code reply}, unless an occurrence has its own script. */
  public ScriptedSmtpServer reply(SmtpStep step, String reply) {
    scripted.put(step + "#*", new Reply(checkReply(reply), null));
    return this;
  }

  /** Injects {@code fault} at the {@code occurrence}-th {@code step}. */
  public ScriptedSmtpServer fault(SmtpStep step, int occurrence, SocketFault fault) {
    scripted.put(step + "#" + occurrence, new Reply(null, Objects.requireNonNull(fault, "fault")));
    return this;
  }

  /** Injects {@code fault} at every {@code step}. */
  public ScriptedSmtpServer fault(SmtpStep step, SocketFault fault) {
    scripted.put(step + "#*", new Reply(null, Objects.requireNonNull(fault, "fault")));
    return this;
  }

  /** Answers RCPT TO for {@code address} (case-insensitive) with {@code reply}, such as {@code 550 5.1.1 No such user}. */
  public ScriptedSmtpServer replyToRecipient(String address, String reply) {
    recipientReplies.put(address.toLowerCase(Locale.ROOT), checkReply(reply));
    return this;
  }

  /** Returns the transactions whose data was accepted or refused after it arrived, in order. */
  public List<RecordedTransaction> transactions() {
    return List.copyOf(transactions);
  }

  /** Returns every command line received, AUTH payloads included, in order. */
  public List<String> commands() {
    return List.copyOf(commands);
  }

  /** Returns how often {@code step} happened so far. */
  public int count(SmtpStep step) {
    return occurrences.get(step).get();
  }

  /** Returns the round trips over all connections so far (see the class comment). */
  public long roundTrips() {
    return roundTrips.get();
  }

  /** Returns the number of connections accepted so far. */
  public int connectionCount() {
    return connections.get();
  }

  /**
   * Returns the largest number of connections that were open at the same time, not counting one
   * that has answered QUIT: its client may close and open the next before this server notices.
   */
  public int peakConnections() {
    return peakConnections.get();
  }

  /** Returns the number of connections open now. */
  public int openConnections() {
    return openSockets.size();
  }

  /**
   * Waits until no connection is open, returning false when {@code timeout} passes first. Clients
   * close asynchronously from the server's point of view, so tests wait for this condition.
   */
  public boolean awaitNoOpenConnections(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (closedLock) {
      while (!openSockets.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(closedLock, left);
      }
    }
    return true;
  }

  /** Stops listening and closes every connection. */
  @Override
  public void close() {
    closed = true;
    try {
      serverSocket.close();
    } catch (IOException e) {
      // closing a listening socket only fails if it is already closed
    }
    for (Socket s : openSockets) {
      closeQuietly(s);
    }
  }

  private static String checkReply(String reply) {
    if (reply.length() < 3 || !Character.isDigit(reply.charAt(0))) {
      throw new IllegalArgumentException("a reply starts with a three-digit code: " + reply);
    }
    return reply;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = serverSocket.accept();
      } catch (IOException e) {
        return;
      }
      int id = connections.incrementAndGet();
      openSockets.add(s);
      peakConnections.accumulateAndGet(liveConversations.incrementAndGet(), Math::max);
      Thread t = new Thread(() -> serve(s, id), "scripted-smtp-" + port() + "-" + id);
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Socket socket, int id) {
    Connection c = null;
    try {
      c = new Connection(socket, id);
      c.run();
    } catch (IOException | RuntimeException e) {
      // the client went away or a fault closed the socket: the end of this conversation
    } finally {
      if (c != null) {
        c.endConversation();
      } else {
        liveConversations.decrementAndGet(); // it failed to start
      }
      closeQuietly(socket);
      openSockets.remove(socket);
      synchronized (closedLock) {
        closedLock.notifyAll();
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }

  /** Ends the conversation of one connection. */
  private static final class Hangup extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Hangup() {
      super(null, null, false, false);
    }
  }

  private final class Connection {
    private Socket socket;
    private final int id;
    private InputStream in;
    private OutputStream out;
    private boolean unflushed;
    private boolean secure;
    private boolean authenticated;
    private String mailFrom;
    private final List<String> recipients = new ArrayList<>();
    private ByteArrayOutputStream chunks;
    private boolean chunkFailed;
    private long roundTripsAtMail;
    private boolean ended;

    void endConversation() {
      if (!ended) {
        ended = true;
        liveConversations.decrementAndGet();
      }
    }

    Connection(Socket socket, int id) throws IOException {
      this.socket = socket;
      this.id = id;
      socket.setTcpNoDelay(true);
      if (config.implicitTls != null) {
        this.socket = wrapTls(socket);
        secure = true;
      }
      streams();
    }

    private void streams() throws IOException {
      in = new BufferedInputStream(socket.getInputStream(), 65536);
      out = new BufferedOutputStream(socket.getOutputStream(), 65536);
    }

    void run() throws IOException {
      try {
        step(SmtpStep.GREETING, "220 " + config.hostname + " ESMTP scripted");
        while (true) {
          String line = readLine();
          if (line == null) {
            return;
          }
          commands.add(line);
          handle(line);
        }
      } catch (Hangup h) {
        // a fault or QUIT ended the conversation
      }
    }

    private void handle(String line) throws IOException {
      String upper = line.toUpperCase(Locale.ROOT);
      String verb = upper.split(" ", 2)[0];
      switch (verb) {
        case "EHLO" -> {
          resetTransaction();
          step(SmtpStep.EHLO, ehloReply());
        }
        case "HELO" -> {
          resetTransaction();
          step(SmtpStep.EHLO, "250 " + config.hostname);
        }
        case "STARTTLS" -> {
          if (config.startTls == null || secure) {
            step(SmtpStep.STARTTLS, "502 5.5.1 STARTTLS not offered");
            return;
          }
          if (!step(SmtpStep.STARTTLS, "220 2.0.0 Ready to start TLS").startsWith("220")) {
            return;
          }
          flush();
          socket = wrapTls(socket);
          secure = true;
          authenticated = false;
          resetTransaction();
          streams();
        }
        case "AUTH" -> auth(line);
        case "MAIL" -> {
          roundTripsAtMail = roundTrips.get();
          if (config.requireAuth && !authenticated) {
            step(SmtpStep.MAIL, "530 5.7.0 Authentication required");
            return;
          }
          String reply = step(SmtpStep.MAIL, "250 2.1.0 Ok");
          if (reply.startsWith("2")) {
            resetTransaction();
            mailFrom = line.substring(Math.min(line.length(), "MAIL FROM:".length())).trim();
          }
        }
        case "RCPT" -> {
          String arg = line.substring(Math.min(line.length(), "RCPT TO:".length())).trim();
          String address = arg.startsWith("<") && arg.indexOf('>') > 0 ? arg.substring(1, arg.indexOf('>')) : arg;
          String fallback =
              mailFrom == null
                  ? "503 5.5.1 MAIL first"
                  : recipientReplies.getOrDefault(address.toLowerCase(Locale.ROOT), "250 2.1.5 Ok");
          String reply = step(SmtpStep.RCPT, fallback);
          if (reply.startsWith("2") && mailFrom != null) {
            recipients.add(arg);
          }
        }
        case "DATA" -> data();
        case "BDAT" -> bdat(upper);
        case "RSET" -> {
          resetTransaction();
          step(SmtpStep.RSET, "250 2.0.0 Ok");
        }
        case "NOOP" -> step(SmtpStep.NOOP, "250 2.0.0 Ok");
        case "QUIT" -> {
          endConversation(); // before the reply, after which the client may connect again
          step(SmtpStep.QUIT, "221 2.0.0 Bye");
          flush();
          throw new Hangup();
        }
        default -> send("500 5.5.2 Command not recognized");
      }
    }

    private String ehloReply() {
      List<String> caps = new ArrayList<>();
      caps.add(config.hostname + " greets you");
      if (config.pipelining) {
        caps.add("PIPELINING");
      }
      if (config.chunking) {
        caps.add("CHUNKING");
      }
      if (config.eightBitMime) {
        caps.add("8BITMIME");
      }
      if (config.smtpUtf8) {
        caps.add("SMTPUTF8");
      }
      if (config.dsn) {
        caps.add("DSN");
      }
      if (config.size >= 0) {
        caps.add("SIZE " + config.size);
      }
      if (config.enhancedStatusCodes) {
        caps.add("ENHANCEDSTATUSCODES");
      }
      if (config.startTls != null && !secure) {
        caps.add("STARTTLS");
      }
      if (config.user != null) {
        caps.add("AUTH " + String.join(" ", config.authMechanisms));
      }
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < caps.size(); i++) {
        b.append("250").append(i == caps.size() - 1 ? ' ' : '-').append(caps.get(i));
        if (i < caps.size() - 1) {
          b.append("\r\n");
        }
      }
      return b.toString();
    }

    private void auth(String line) throws IOException {
      String[] words = line.split(" ");
      String mechanism = words.length > 1 ? words[1].toUpperCase(Locale.ROOT) : "";
      boolean ok;
      switch (mechanism) {
        case "PLAIN" -> {
          String response = words.length > 2 ? words[2] : challenge("");
          String[] parts = decode(response).split("\0", -1);
          ok = parts.length == 3 && parts[1].equals(config.user) && parts[2].equals(config.password);
        }
        case "LOGIN" -> {
          String user = decode(challenge("VXNlcm5hbWU6"));
          String password = decode(challenge("UGFzc3dvcmQ6"));
          ok = user.equals(config.user) && password.equals(config.password);
        }
        case "XOAUTH2" -> {
          String response = decode(words.length > 2 ? words[2] : challenge(""));
          ok = response.equals("user=" + config.user + "\u0001auth=Bearer " + config.password + "\u0001\u0001");
          if (!ok) {
            challenge(Base64.getEncoder().encodeToString(
                "{\"status\":\"401\",\"schemes\":\"bearer\"}".getBytes(StandardCharsets.UTF_8)));
          }
        }
        default -> {
          send("504 5.5.4 Unrecognized authentication type");
          return;
        }
      }
      String reply = step(SmtpStep.AUTH, ok ? "235 2.7.0 Authentication successful" : "535 5.7.8 Authentication credentials invalid");
      authenticated = reply.startsWith("235");
    }

    private String challenge(String text) throws IOException {
      send("334 " + text);
      String answer = readLine();
      if (answer == null) {
        throw new Hangup();
      }
      commands.add(answer);
      return answer;
    }

    private String decode(String base64) {
      try {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return "";
      }
    }

    private void data() throws IOException {
      String fallback = mailFrom == null ? "503 5.5.1 MAIL first"
          : recipients.isEmpty() ? "554 5.5.1 No valid recipients" : "354 End data with <CR><LF>.<CR><LF>";
      if (!step(SmtpStep.DATA, fallback).startsWith("354")) {
        return;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      boolean first = true;
      while (true) {
        byte[] line = readRawLine();
        if (line == null) {
          throw new Hangup();
        }
        if (line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n') {
          break;
        }
        int start = line.length > 0 && line[0] == '.' ? 1 : 0;
        body.write(line, start, line.length - start);
        if (first) {
          first = false;
          Reply fault = scriptFor(SmtpStep.DATA_BODY, occurrences.get(SmtpStep.DATA_BODY).incrementAndGet());
          if (fault != null && fault.fault() != null) {
            applyFault(fault.fault(), null);
          }
        }
      }
      finishTransaction(body.toByteArray(), false, SmtpStep.END_OF_DATA, "250 2.0.0 Ok: queued");
    }

    private void bdat(String upper) throws IOException {
      String[] words = upper.split(" +");
      long size;
      try {
        size = Long.parseLong(words[1]);
      } catch (RuntimeException e) {
        send("501 5.5.4 Syntax: BDAT size [LAST]");
        return;
      }
      boolean last = words.length > 2 && words[2].equals("LAST");
      byte[] data = in.readNBytes((int) size);
      if (data.length < size) {
        throw new Hangup();
      }
      if (chunks == null) {
        chunks = new ByteArrayOutputStream();
      }
      chunks.write(data);
      boolean usable = mailFrom != null && !recipients.isEmpty() && !chunkFailed;
      if (!last) {
        String reply = step(SmtpStep.BDAT, usable ? "250 2.0.0 " + size + " octets received"
            : "554 5.5.1 No valid recipients");
        chunkFailed |= !reply.startsWith("2");
        return;
      }
      if (!usable) {
        step(SmtpStep.BDAT_LAST, "554 5.5.1 No valid recipients");
        resetTransaction();
        return;
      }
      finishTransaction(chunks.toByteArray(), true, SmtpStep.BDAT_LAST, "250 2.0.0 Ok: queued");
    }

    private void finishTransaction(byte[] data, boolean chunked, SmtpStep step, String fallback)
        throws IOException {
      String from = mailFrom;
      List<String> rcpts = List.copyOf(recipients);
      long before = roundTripsAtMail;
      Reply script = scriptFor(step, occurrences.get(step).incrementAndGet());
      boolean faultAfter = script != null && script.fault() != null && script.fault().afterReply();
      if (script != null && script.fault() != null && !faultAfter) {
        applyFault(script.fault(), null);
      }
      String reply = script != null && script.text() != null ? script.text()
          : faultAfter && !script.fault().text().isEmpty() && !unasked(script.fault())
              ? script.fault().text()
              : fallback;
      // recorded before the reply leaves, so a client that saw the reply also sees the record;
      // the reply's own flush (the next time the server waits) is this transaction's last round trip
      transactions.add(new RecordedTransaction(
          id, from, rcpts, data, chunked, (int) (roundTrips.get() - before) + 1));
      send(reply);
      resetTransaction();
      if (faultAfter) {
        applyFault(script.fault(), null);
      }
    }

    /** A fault whose text follows the reply, unasked, instead of replacing it. */
    private static boolean unasked(SocketFault fault) {
      return fault.kind() == SocketFault.Kind.UNASKED;
    }

    private void resetTransaction() {
      mailFrom = null;
      recipients.clear();
      chunks = null;
      chunkFailed = false;
    }

    /** Answers a step as scripted, or with {@code fallback}; returns the reply sent. */
    private String step(SmtpStep step, String fallback) throws IOException {
      int n = occurrences.get(step).incrementAndGet();
      Reply script = scriptFor(step, n);
      if (script != null && script.fault() != null) {
        if (!script.fault().afterReply()) {
          applyFault(script.fault(), fallback);
          return fallback;
        }
        String reply =
            script.fault().text().isEmpty() || unasked(script.fault()) ? fallback : script.fault().text();
        send(reply);
        applyFault(script.fault(), reply);
        return reply;
      }
      String reply = script != null ? script.text() : fallback;
      send(reply);
      return reply;
    }

    private Reply scriptFor(SmtpStep step, int occurrence) {
      Reply r = scripted.get(step + "#" + occurrence);
      return r != null ? r : scripted.get(step + "#*");
    }

    private void applyFault(SocketFault fault, String reply) throws IOException {
      switch (fault.kind()) {
        case DISCONNECT -> {
          flush();
          socket.shutdownOutput();
          // Read until the client closes, so unread input does not turn the FIN into a reset
          // that could destroy replies the client has not read yet.
          socket.setSoTimeout(5000);
          try {
            in.skip(Long.MAX_VALUE);
            while (in.read() >= 0) {
              in.skip(Long.MAX_VALUE);
            }
          } catch (IOException e) {
            // the client closed or reset: done
          }
          throw new Hangup();
        }
        case RESET -> {
          socket.setSoLinger(true, 0);
          socket.close();
          throw new Hangup();
        }
        case STALL -> {
          flush();
          try {
            while (!closed && !socket.isClosed()) {
              synchronized (closedLock) {
                closedLock.wait(50);
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new Hangup();
        }
        case SLOW -> {
          flush();
          byte[] bytes = ((reply == null ? "250 2.0.0 Ok" : reply) + "\r\n").getBytes(StandardCharsets.UTF_8);
          OutputStream raw = socket.getOutputStream();
          for (byte b : bytes) {
            sleep(fault.delay());
            raw.write(b);
            raw.flush();
          }
        }
        case ENDLESS_LINE -> {
          flush();
          OutputStream raw = socket.getOutputStream();
          byte[] junk = "250-".getBytes(StandardCharsets.US_ASCII);
          raw.write(junk);
          byte[] block = new byte[8192];
          java.util.Arrays.fill(block, (byte) 'x');
          while (!closed) {
            raw.write(block);
            raw.flush();
          }
          throw new Hangup();
        }
        case RAW -> send(fault.text());
        case UNASKED -> {
          flush(); // the reply, sent already
          send(fault.text());
          flush();
        }
      }
    }

    private void sleep(Duration d) {
      try {
        Thread.sleep(d.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Hangup();
      }
    }

    private void send(String reply) throws IOException {
      out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
      unflushed = true;
    }

    private void flush() throws IOException {
      if (unflushed) {
        unflushed = false;
        out.flush();
      }
    }

    private String readLine() throws IOException {
      byte[] raw = readRawLine();
      if (raw == null) {
        return null;
      }
      int n = raw.length;
      while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r')) {
        n--;
      }
      return new String(raw, 0, n, StandardCharsets.UTF_8);
    }

    /** Reads a line with its line end; flushes pending replies first when no input waits. */
    private byte[] readRawLine() throws IOException {
      if (unflushed && in.available() == 0) {
        roundTrips.incrementAndGet();
        flush();
      }
      ByteArrayOutputStream line = new ByteArrayOutputStream(128);
      while (true) {
        int b;
        try {
          b = in.read();
        } catch (SocketException e) {
          return null;
        }
        if (b < 0) {
          return line.size() == 0 ? null : line.toByteArray();
        }
        line.write(b);
        if (b == '\n') {
          return line.toByteArray();
        }
        if (line.size() > 1_000_000) {
          throw new Hangup();
        }
      }
    }

    private Socket wrapTls(Socket plain) throws IOException {
      SSLContext context = config.implicitTls != null ? config.implicitTls : config.startTls;
      SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(
          plain, plain.getInetAddress().getHostAddress(), plain.getPort(), true);
      ssl.setUseClientMode(false);
      ssl.startHandshake();
      return ssl;
    }
  }

  /** Configures a {@link ScriptedSmtpServer}. Not thread-safe. */
  public static final class Builder {
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private int port;
    private String hostname = "scripted.test";
    private boolean pipelining = true;
    private boolean chunking;
    private boolean eightBitMime = true;
    private boolean smtpUtf8;
    private boolean dsn;
    private boolean enhancedStatusCodes = true;
    private long size = -1;
    private SSLContext startTls;
    private SSLContext implicitTls;
    private String user;
    private String password;
    private List<String> authMechanisms = List.of();
    private boolean requireAuth;

    private Builder() {}

    /** Binds to a loopback address such as 127.0.0.2 (default 127.0.0.1). */
    public Builder bindAddress(InetAddress address) {
      if (!address.isLoopbackAddress()) {
        throw new IllegalArgumentException("tests stay on loopback: " + address);
      }
      this.bindAddress = address;
      return this;
    }

    /** Listens on {@code port}; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder hostname(String hostname) {
      this.hostname = Objects.requireNonNull(hostname, "hostname");
      return this;
    }

    public Builder pipelining(boolean on) {
      this.pipelining = on;
      return this;
    }

    public Builder chunking(boolean on) {
      this.chunking = on;
      return this;
    }

    public Builder eightBitMime(boolean on) {
      this.eightBitMime = on;
      return this;
    }

    public Builder smtpUtf8(boolean on) {
      this.smtpUtf8 = on;
      return this;
    }

    public Builder dsn(boolean on) {
      this.dsn = on;
      return this;
    }

    public Builder enhancedStatusCodes(boolean on) {
      this.enhancedStatusCodes = on;
      return this;
    }

    /** Announces {@code SIZE limit}; 0 announces SIZE without a limit. Not announced by default. */
    public Builder size(long limit) {
      this.size = limit;
      return this;
    }

    /** Offers STARTTLS with the server key in {@code context}. */
    public Builder startTls(SSLContext context) {
      this.startTls = Objects.requireNonNull(context, "context");
      return this;
    }

    /** Speaks TLS from the first byte (like port 465). */
    public Builder implicitTls(SSLContext context) {
      this.implicitTls = Objects.requireNonNull(context, "context");
      return this;
    }

    /**
     * Offers AUTH with these mechanisms (PLAIN, LOGIN, XOAUTH2) for one user; for XOAUTH2 the
     * password is the valid token.
     */
    public Builder auth(String user, String password, String... mechanisms) {
      this.user = Objects.requireNonNull(user, "user");
      this.password = Objects.requireNonNull(password, "password");
      this.authMechanisms = List.of(mechanisms.length == 0 ? new String[] {"PLAIN", "LOGIN"} : mechanisms);
      return this;
    }

    /** Refuses MAIL with 530 until the client authenticated. */
    public Builder requireAuth(boolean on) {
      this.requireAuth = on;
      return this;
    }

    /**
     * Starts the server.
     *
     * @throws IOException when the address cannot be bound
     */
    public ScriptedSmtpServer start() throws IOException {
      return new ScriptedSmtpServer(this);
    }
  }

  /** Returns the configured host name (the greeting's name). */
  public String hostname() {
    return config.hostname;
  }

  /** Returns an unmodifiable view of the mechanisms offered, empty without AUTH. */
  public List<String> authMechanisms() {
    return Collections.unmodifiableList(config.authMechanisms);
  }

  /** Returns the user accepted by AUTH, when AUTH is offered. */
  public Optional<String> user() {
    return Optional.ofNullable(config.user);
  }
}
