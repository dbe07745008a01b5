package dev.mailcore.smtp.internal;

import dev.mailcore.DsnOptions;
import dev.mailcore.Envelope;
import dev.mailcore.MailAuthenticationException;
import dev.mailcore.MailCommandException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailProtocolException;
import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.ServerReply;
import dev.mailcore.TlsMode;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP client connection (RFC 5321), our own engine on JDK sockets and JDK TLS: greeting,
 * EHLO (HELO fallback), STARTTLS (RFC 3207) or implicit TLS, AUTH (RFC 4954), then any number of
 * mail transactions.
 *
 * <p>Transactions use what the server offers: PIPELINING (RFC 2920) sends MAIL, every RCPT and
 * DATA in one write; CHUNKING (RFC 3030) sends the body as BDAT chunks without dot-stuffing.
 * With PIPELINING, {@link #send(List)} streams several transactions without waiting for each
 * final reply (with CHUNKING up to {@link SessionSettings#maxUnacknowledged()} at once; with DATA
 * the next MAIL follows the final dot, as each DATA must wait for its 354), matching replies to
 * transactions in order. Commands and body go through one buffer that is flushed only when the engine must wait
 * for a reply, and TCP_NODELAY is set, so each pipelined group leaves in one write.
 *
 * <p>Before MAIL, each transaction is checked against what the server announced: UTF-8 in the
 * addresses or in the header section needs SMTPUTF8 (RFC 6531), 8-bit bytes need 8BITMIME (RFC
 * 6152), and a message over the SIZE limit (RFC 1870; measured first when its size is not known)
 * is not sent; each of these fails the recipients permanently without a command on the wire. A
 * refused BDAT chunk ends the message there (RFC 3030 §2).
 *
 * <p>Failures inside a transaction are values in the {@link TransactionResult}: a refused
 * recipient, a lost connection (the unanswered recipients become DEFERRED, with {@link
 * TransactionResult#isRetrySafe()} telling whether the server might have taken the message). Only
 * setting up the session throws. After a connection failure the session is unusable ({@link
 * #isUsable()}).
 *
 * <p>Used by the relay pool, direct MX delivery and the queue. Not thread-safe: one thread at a
 * time (a pool hands a session to one sender).
 */
public final class SmtpSession implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(SmtpSession.class);
  private static final byte[] CRLF = {'\r', '\n'};
  /** Outstanding commands after which the engine reads replies before writing more (deadlock guard). */
  private static final int MAX_PENDING_COMMANDS = 200;
  private static final int CHUNK_SIZE = 64 * 1024;
  private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(5);

  private final InetSocketAddress address;
  private final String serverName;
  private final SessionSettings settings;
  private final TranscriptLogger transcript;
  private final ArrayDeque<Expect> pending = new ArrayDeque<>();
  private final List<WriteWatchdog.Watch> watches = new ArrayList<>(2);

  private Socket socket;
  /** The TCP connection under {@link #socket}, which is a TLS socket layered on it once secured. */
  private Socket tcp;
  private ReplyReader reader;
  private OutputStream out;
  private boolean unflushed;
  private boolean writeFailed;
  private Capabilities capabilities = Capabilities.NONE;
  private boolean encrypted;
  private boolean authenticated;
  private boolean broken;
  private boolean closed;
  private boolean needsReset;
  private boolean serverClosing;
  private long transactions;
  private byte[] chunk;

  private record Expect(Duration timeout, Consumer<ServerReply> handler) {}

  private SmtpSession(InetSocketAddress address, String serverName, SessionSettings settings) {
    this.address = address;
    this.serverName = serverName;
    this.settings = settings;
    this.transcript = settings.transcript();
  }

  /**
   * Connects to {@code address}, reads the greeting, says EHLO, secures the connection as the
   * TLS mode says and authenticates when credentials are set.
   *
   * @param address where to connect (an MX host's address, a relay's address)
   * @param serverName the host name certificates are checked against and sent as SNI; also the
   *     {@code remoteHost} of results
   * @throws MailConnectionException when the host cannot be reached, a time-out fires, or TLS
   *     fails (handshake, untrusted certificate, wrong host name; permanent) or is required but
   *     not offered (permanent); never silently downgraded
   * @throws MailCommandException when the server refuses the greeting, EHLO/HELO or STARTTLS; the
   *     reply tells whether to try another host (4xx) or give up (5xx)
   * @throws MailAuthenticationException when AUTH fails, or would send credentials in clear text
   *     without {@link SessionSettings#allowPlainTextAuth()}
   * @throws MailProtocolException when the server breaks the protocol
   */
  public static SmtpSession open(
      InetSocketAddress address, String serverName, SessionSettings settings) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(serverName, "serverName");
    Objects.requireNonNull(settings, "settings");
    SmtpSession session = new SmtpSession(address, serverName, settings);
    try {
      session.connect();
      return session;
    } catch (MailException e) {
      session.abort();
      throw e;
    } catch (IOException e) {
      session.abort();
      throw session.connectionFailure("connection to " + serverName + " failed", e);
    }
  }

  /** Returns the server name given at open, used for TLS checks and in results. */
  public String serverName() {
    return serverName;
  }

  /** Returns the address connected to. */
  public InetSocketAddress address() {
    return address;
  }

  /** Returns the extensions of the last EHLO (after STARTTLS, the second one). */
  public Capabilities capabilities() {
    return capabilities;
  }

  /** Returns true when the connection is encrypted (implicit TLS or after STARTTLS). */
  public boolean isEncrypted() {
    return encrypted;
  }

  /** Returns true after successful AUTH. */
  public boolean isAuthenticated() {
    return authenticated;
  }

  /** Returns the number of transactions started on this session. */
  public long transactionCount() {
    return transactions;
  }

  /** Returns true while the connection can carry another transaction. */
  public boolean isUsable() {
    return isOpen() && !spokeUnasked();
  }

  private boolean isOpen() {
    return !broken && !closed && !serverClosing && socket != null && !socket.isClosed();
  }

  /**
   * Whether the server sent something while no reply was due, typically a 421 before it closes an
   * idle connection (RFC 5321 §3.8): read as the reply to the next command, it would shift every
   * later reply onto the wrong command.
   */
  private boolean spokeUnasked() {
    if (!pending.isEmpty() || reader == null) {
      return false;
    }
    try {
      return inputWaiting();
    } catch (IOException e) {
      return true; // the connection is failing: not one to reuse
    }
  }

  /**
   * Whether the server has sent something not read yet, on a session no reply is due on. Under
   * TLS the socket's own count covers decrypted bytes only, so encrypted bytes waiting on the TCP
   * connection are read for a moment to see whether they hold data (a reply) or only TLS
   * housekeeping such as a session ticket.
   */
  private boolean inputWaiting() throws IOException {
    if (reader.hasBufferedInput() || socket.getInputStream().available() > 0) {
      return true;
    }
    if (socket == tcp || tcp.getInputStream().available() == 0) {
      return false;
    }
    return reader.probe(1);
  }

  /**
   * Checks the connection with NOOP, as a pool does before reusing an idle session.
   *
   * @return true when the server answered 250 in time; otherwise the session is now closed
   */
  public boolean noop(Duration timeout) {
    if (!isUsable()) {
      abort();
      return false;
    }
    try {
      ServerReply reply = call("NOOP", timeout);
      if (reply.code() == 250) {
        return true;
      }
      LOG.debug("{} answered NOOP with {}", serverName, reply);
    } catch (IOException | MailException e) {
      LOG.debug("{} failed the NOOP health check: {}", serverName, e.toString());
    }
    abort();
    return false;
  }

  /** Sends one transaction; see {@link #send(List)}. */
  public TransactionResult send(SmtpTransaction transaction) {
    return send(List.of(transaction)).get(0);
  }

  /**
   * Sends transactions in order, streaming them when the server offers PIPELINING and CHUNKING,
   * and returns one result per transaction, in the same order. Never throws for what happens on
   * the wire: a connection lost half-way leaves the unanswered transactions DEFERRED (see {@link
   * TransactionResult#isRetrySafe()}).
   *
   * @throws IllegalStateException when the session is closed or broken
   */
  public List<TransactionResult> send(List<SmtpTransaction> batch) {
    Objects.requireNonNull(batch, "batch");
    if (!isOpen()) {
      throw new IllegalStateException("session to " + serverName + " is not usable");
    }
    boolean streaming = streaming();
    int window = streaming ? settings.maxUnacknowledged() : 1;
    List<Flight> flights = new ArrayList<>(batch.size());
    ArrayDeque<Flight> inFlight = new ArrayDeque<>();
    MailException failure = null;
    try {
      if (spokeUnasked()) {
        // arrived since the caller checked isUsable(): nothing is sent on this session
        ServerReply unasked = readReply(settings.commandTimeout());
        throw new MailConnectionException(
            serverName + " sent a reply nobody asked for (" + unasked + "); session abandoned",
            true,
            null);
      }
      for (SmtpTransaction tx : batch) {
        Flight flight = new Flight(tx);
        flights.add(flight);
        while (inFlight.size() >= window || (!inFlight.isEmpty() && inFlight.peek().done)) {
          if (inFlight.peek().done) {
            inFlight.poll();
          } else {
            readOne();
          }
        }
        begin(flight);
        if (!flight.done) {
          inFlight.add(flight);
        }
      }
      awaitAll();
    } catch (IOException e) {
      failure = connectionFailure("connection to " + serverName + " failed", e);
    } catch (MailException e) {
      failure = e;
    } catch (SourceFailure e) {
      failure = new MailConnectionException("transaction aborted: cannot read the message", true, e.getCause());
    } finally {
      for (Flight f : flights) {
        f.closePeeked(); // a transaction that ended before its data
      }
    }
    if (failure != null) {
      salvageReplies(failure);
      abort();
      LOG.debug("session to {} failed: {}", serverName, failure.toString());
    }
    if (serverClosing) {
      abort();
    }
    List<TransactionResult> results = new ArrayList<>(flights.size());
    for (SmtpTransaction tx : batch) {
      int i = results.size();
      results.add(
          i < flights.size()
              ? flights.get(i).result(failure)
              : notAttempted(tx, failure));
    }
    return results;
  }

  /** Ends the session politely (QUIT) and closes the connection. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (!broken && socket != null && !socket.isClosed() && pending.isEmpty()) {
      try {
        call("QUIT", QUIT_TIMEOUT);
      } catch (IOException | MailException e) {
        LOG.debug("QUIT to {} failed: {}", serverName, e.toString());
      }
    }
    abort();
  }

  // ---------------------------------------------------------------- setup

  private void connect() throws IOException {
    Socket plain = new Socket();
    socket = plain;
    tcp = plain;
    plain.setTcpNoDelay(true);
    plain.setKeepAlive(true);
    if (settings.localAddress().isPresent()) {
      plain.bind(new InetSocketAddress(settings.localAddress().get(), 0));
    }
    try {
      plain.connect(address, (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()));
    } catch (SocketTimeoutException e) {
      throw new MailConnectionException(
          "connecting to " + serverName + " " + address + " timed out after "
              + settings.connectTimeout().toMillis() + " ms",
          true,
          e);
    } catch (ConnectException e) {
      throw new MailConnectionException(
          "cannot connect to " + serverName + " " + address + ": " + e.getMessage(), true, e);
    }
    if (settings.tlsMode() == TlsMode.IMPLICIT) {
      startTls();
    } else {
      installStreams();
    }
    ServerReply greeting = readReply(settings.commandTimeout());
    if (greeting.code() != 220) {
      quietQuit();
      throw new MailCommandException("server " + serverName + " refused the session", greeting, null);
    }
    ehlo();
    TlsMode mode = settings.tlsMode();
    if (!encrypted && (mode == TlsMode.STARTTLS || mode == TlsMode.STARTTLS_IF_OFFERED)) {
      if (capabilities.has("STARTTLS")) {
        ServerReply reply = call("STARTTLS", settings.commandTimeout());
        if (reply.code() == 220) {
          if (reader.hasBufferedInput()) {
            // RFC 3207 §5 / CVE-2011-0411: anything sent before the handshake is an injection.
            throw new MailProtocolException(
                serverName + " sent data after its STARTTLS reply, before the TLS handshake", null);
          }
          startTls();
          ehlo();
        } else if (mode == TlsMode.STARTTLS) {
          quietQuit();
          throw new MailCommandException("server " + serverName + " refused STARTTLS", reply, null);
        } else {
          LOG.debug("{} refused STARTTLS ({}); continuing without TLS as allowed", serverName, reply);
        }
      } else if (mode == TlsMode.STARTTLS) {
        quietQuit();
        throw new MailConnectionException(
            "server " + serverName + " does not offer STARTTLS, which the TLS mode requires", false, null);
      }
    }
    if (settings.credentials().isPresent()) {
      if (!encrypted && !settings.allowPlainTextAuth()) {
        quietQuit();
        throw new MailAuthenticationException(
            "refusing to send credentials to " + serverName
                + " over an unencrypted connection; use TLS or allow plain-text AUTH explicitly",
            false,
            null);
      }
      SaslMechanisms.authenticate(
          new SaslMechanisms.Exchange() {
            @Override
            public ServerReply command(String visible, String secret) throws IOException {
              if (secret.isEmpty()) {
                return call(visible, settings.commandTimeout());
              }
              transcript.clientSecret(serverName, visible);
              return rawCall(visible + " " + secret);
            }

            @Override
            public ServerReply respond(String secret) throws IOException {
              transcript.clientSecret(serverName, "");
              return rawCall(secret);
            }
          },
          capabilities,
          settings.credentials().get(),
          serverName);
      authenticated = true;
    }
  }

  private void ehlo() throws IOException {
    String name = settings.ehloName().orElseGet(() -> addressLiteral(socket.getLocalAddress()));
    ServerReply reply = call("EHLO " + name, settings.commandTimeout());
    if (reply.code() == 250) {
      capabilities = Capabilities.parse(reply);
      return;
    }
    if (reply.code() == 421 || reply.code() == 554) {
      quietQuit();
      throw new MailCommandException("server " + serverName + " refused EHLO", reply, null);
    }
    ServerReply helo = call("HELO " + name, settings.commandTimeout());
    if (helo.code() != 250) {
      quietQuit();
      throw new MailCommandException("server " + serverName + " refused EHLO and HELO", helo, null);
    }
    capabilities = Capabilities.NONE;
  }

  private void startTls() throws IOException {
    SSLSocket ssl =
        (SSLSocket)
            settings.sslContext().getSocketFactory()
                .createSocket(socket, serverName, address.getPort(), true);
    SSLParameters params = ssl.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    if (!isAddressLiteral(serverName)) {
      try {
        params.setServerNames(List.of(new SNIHostName(serverName)));
      } catch (IllegalArgumentException e) {
        LOG.debug("{} is not a valid SNI host name; sending no SNI", serverName);
      }
    }
    ssl.setSSLParameters(params);
    ssl.setSoTimeout((int) Math.min(Integer.MAX_VALUE, settings.commandTimeout().toMillis()));
    socket = ssl;
    try {
      ssl.startHandshake();
    } catch (SSLHandshakeException e) {
      throw new MailConnectionException(
          "TLS handshake with " + serverName + " failed (certificate or host name not accepted, "
              + "or no common protocol): " + e.getMessage(),
          false,
          e);
    } catch (SSLException e) {
      throw new MailConnectionException("TLS with " + serverName + " failed: " + e.getMessage(), true, e);
    }
    encrypted = true;
    capabilities = Capabilities.NONE;
    installStreams();
  }

  private void installStreams() throws IOException {
    reader =
        new ReplyReader(
            socket::setSoTimeout, socket.getInputStream(), settings.maxReplyLineLength(), settings.maxReplyLines());
    out = new BufferedOutputStream(new WireOutputStream(socket.getOutputStream()), CHUNK_SIZE + 512);
  }

  // ---------------------------------------------------------------- transactions

  /** The state of one transaction on the wire. */
  private final class Flight {
    final SmtpTransaction tx;
    final ServerReply[] rcpt;
    ServerReply mail;
    ServerReply fin;
    List<RecipientResult> precomputed;
    boolean endOfDataSent;
    boolean done;
    /** Whether MAIL FROM carries SMTPUTF8: the transaction's flag or UTF-8 found in the headers. */
    boolean smtpUtf8;
    SourceFailure sourceFailure;
    /** The header section read to scan it, and the open stream the rest is sent from. */
    SourceScan.Peeked peeked;

    Flight(SmtpTransaction tx) {
      this.tx = tx;
      this.rcpt = new ServerReply[tx.envelope().recipients().size()];
    }

    /** Closes the stream of a scanned source whose data was not sent. */
    void closePeeked() {
      if (peeked != null) {
        try {
          peeked.rest().close();
        } catch (IOException e) {
          LOG.debug("closing the message source failed: {}", e.toString());
        }
        peeked = null;
      }
    }

    boolean anyRecipientAccepted() {
      for (ServerReply r : rcpt) {
        if (r != null && r.isPositive()) {
          return true;
        }
      }
      return false;
    }

    void finalReply(ServerReply reply) {
      if (fin == null || fin.isPositive()) {
        fin = reply;
      }
      done = true;
    }

    TransactionResult result(MailException failure) {
      List<Mailbox> recipients = tx.envelope().recipients();
      if (precomputed != null) {
        return new TransactionResult(precomputed, true, false, Optional.empty());
      }
      List<RecipientResult> results = new ArrayList<>(recipients.size());
      boolean interrupted = !done;
      Exception cause = sourceFailure != null ? sourceFailure.source() : failure;
      for (int i = 0; i < recipients.size(); i++) {
        Mailbox r = recipients.get(i);
        if (mail != null && !mail.isPositive()) {
          results.add(RecipientResult.ofReply(r, mail, serverName));
        } else if (rcpt[i] != null && !rcpt[i].isPositive()) {
          results.add(RecipientResult.ofReply(r, rcpt[i], serverName));
        } else if (fin != null && (done || !fin.isPositive())) {
          // a refused chunk is the transaction's answer even when the connection died after it
          results.add(RecipientResult.ofReply(r, fin, serverName));
        } else if (sourceFailure != null) {
          results.add(
              RecipientResult.ofFailure(
                  r, true, "not sent: cannot read the message: " + sourceFailure.source(), serverName));
        } else {
          String why = failure == null ? "no final reply" : failure.getMessage();
          results.add(
              RecipientResult.ofFailure(
                  r,
                  true,
                  endOfDataSent
                      ? "connection lost after the message was sent, before the server confirmed"
                          + " it (it may have been delivered): " + why
                      : "not delivered: " + why,
                  serverName));
        }
      }
      return new TransactionResult(
          results,
          !interrupted,
          interrupted && (!endOfDataSent || refused()),
          interrupted ? Optional.ofNullable(cause) : Optional.empty());
    }

    /**
     * Whether the server's replies already rule delivery out, so that a connection lost after the
     * data went out (pipelined BDAT sends it before any reply is read) cannot have delivered it:
     * MAIL refused, every RCPT refused, or a chunk refused (RFC 3030 §2: the transaction failed).
     */
    private boolean refused() {
      if (mail != null && !mail.isPositive()) {
        return true;
      }
      if (fin != null && !fin.isPositive()) {
        return true;
      }
      for (ServerReply r : rcpt) {
        if (r == null || r.isPositive()) {
          return false;
        }
      }
      return true;
    }
  }

  private TransactionResult notAttempted(SmtpTransaction tx, MailException failure) {
    List<RecipientResult> results = new ArrayList<>();
    for (Mailbox r : tx.envelope().recipients()) {
      results.add(RecipientResult.ofFailure(r, true, "not attempted: " + failure.getMessage(), serverName));
    }
    return new TransactionResult(results, false, true, Optional.of(failure));
  }

  private void begin(Flight f) throws IOException {
    SmtpTransaction tx = f.tx;
    Envelope envelope = tx.envelope();
    OptionalLong size = tx.source().size();
    boolean utf8Headers;
    boolean eightBit;
    try {
      // pre-rendered bytes may carry UTF-8 header fields (RFC 6532) that no flag tells of
      utf8Headers = !tx.smtpUtf8() && !tx.source().headersChecked() && utf8InHeaders(f);
      // RFC 6152 §3: 8-bit data only to a server that offers 8BITMIME, so look where it does not.
      // One that offers SMTPUTF8 alone (GreenMail does; RFC 6531 §3.1 requires 8BITMIME with it)
      // gets the data with SMTPUTF8 declared, which covers it
      eightBit = !capabilities.has("8BITMIME") && SourceScan.anywhere(tx.source());
    } catch (IOException | RuntimeException e) {
      f.sourceFailure = new SourceFailure(e);
      throw f.sourceFailure;
    }
    f.smtpUtf8 = tx.smtpUtf8() || utf8Headers || (eightBit && capabilities.has("SMTPUTF8"));
    if (f.smtpUtf8 && !capabilities.has("SMTPUTF8")) {
      f.precomputed =
          failAll(envelope, "the message needs SMTPUTF8 ("
              + (utf8Headers ? "non-ASCII header fields, RFC 6532" : "non-ASCII addresses, RFC 6531")
              + "), which " + serverName + " does not offer");
      f.done = true;
      return;
    }
    if (eightBit && !capabilities.has("SMTPUTF8")) {
      f.precomputed =
          failAll(envelope, "the message contains 8-bit data, which needs 8BITMIME (RFC 6152), "
              + "and " + serverName + " does not offer it");
      f.done = true;
      return;
    }
    // a message rendered while sending is measured only when its size could be over the limit:
    // the bound from its parts' lengths is enough for almost every message, and saves rendering
    // it twice
    boolean measured =
        size.isEmpty()
            && capabilities.maxSize().isPresent()
            && tx.source().sizeBound().orElse(Long.MAX_VALUE) > capabilities.maxSize().getAsLong();
    if (measured) {
      // a message rendered while sending: measured, so that one over the limit is refused before
      // MAIL and one under it declares its size (RFC 1870 §3)
      try {
        size = OptionalLong.of(SourceScan.size(tx.source(), capabilities.maxSize().getAsLong()));
      } catch (IOException | RuntimeException e) {
        f.sourceFailure = new SourceFailure(e);
        throw f.sourceFailure;
      }
    }
    if (size.isPresent() && capabilities.maxSize().isPresent()
        && size.getAsLong() > capabilities.maxSize().getAsLong()) {
      f.precomputed =
          failAll(envelope, "the message (" + (measured ? "more than " + capabilities.maxSize().getAsLong()
              : size.getAsLong()) + " bytes) exceeds the SIZE limit of "
              + capabilities.maxSize().getAsLong() + " bytes announced by " + serverName);
      f.done = true;
      return;
    }
    transactions++;
    boolean pipelined = usePipelining();
    if (needsReset) {
      // A refused RSET needs no handling of its own: the MAIL that follows gets the answer that
      // decides the transaction, and a 421 marks the session as closing.
      command("RSET", settings.commandTimeout(), completion("RSET", r -> {
        if (!r.isPositive()) {
          LOG.debug("{} answered RSET with {}", serverName, r);
        }
      }));
      needsReset = false;
    }
    command(mailFrom(tx, f.smtpUtf8, size), settings.commandTimeout(), completion("MAIL", r -> f.mail = r));
    if (!pipelined && !f.mail.isPositive()) {
      f.done = true;
      return;
    }
    List<Mailbox> recipients = envelope.recipients();
    for (int i = 0; i < recipients.size(); i++) {
      int index = i;
      command(rcptTo(recipients.get(i), tx), settings.commandTimeout(),
          completion("RCPT", r -> f.rcpt[index] = r));
    }
    needsReset = true;
    if (!pipelined && !f.anyRecipientAccepted()) {
      f.done = true;
      return;
    }
    if (useChunking()) {
      sendChunked(f);
    } else {
      sendData(f);
    }
    if (pipelined) {
      // RFC 2920 gives no reason to RSET after a clean transaction, but a cheap pipelined RSET
      // before the next MAIL clears any state a failed BDAT left behind.
      needsReset = true;
    } else {
      needsReset = !f.done || f.fin == null || !f.fin.isPositive();
    }
  }

  private void sendData(Flight f) throws IOException {
    ServerReply[] data = new ServerReply[1];
    command("DATA", settings.commandTimeout(), r -> data[0] = r);
    awaitAll();
    if (data[0].code() != 354) {
      if (data[0].isPositive()) {
        throw new MailProtocolException(serverName + " answered DATA with " + data[0], null);
      }
      f.finalReply(data[0]);
      return;
    }
    f.endOfDataSent = true;
    if (f.anyRecipientAccepted()) {
      CountingStream counter = new CountingStream(out);
      DotStuffingOutputStream body = new DotStuffingOutputStream(counter, true);
      writeSource(f, body);
      body.finish();
      transcript.clientBody(serverName, "message data", counter.count);
    } else {
      // RFC 2920 §3.1: DATA accepted although no recipient was; end the empty data at once.
      out.write(new byte[] {'.', '\r', '\n'});
      transcript.client(serverName, ".");
    }
    unflushed = true;
    pending.add(new Expect(settings.dataTimeout(), completion("the end of the data", f::finalReply)));
    if (!streaming()) {
      awaitAll();
    }
    // Streaming: the next transaction's MAIL, RCPT and DATA follow the final dot in the same
    // group (RFC 2920 §3.1 lists only EHLO, DATA, VRFY, EXPN, TURN, QUIT and NOOP as commands
    // that end a group), so each further message costs one round trip instead of two.
  }

  private void sendChunked(Flight f) throws IOException {
    if (chunk == null) {
      chunk = new byte[CHUNK_SIZE];
    }
    ChunkStream chunks = new ChunkStream(f);
    DotStuffingOutputStream body = new DotStuffingOutputStream(chunks, false);
    try {
      writeSource(f, body);
      body.finish();
      chunks.emit(true);
    } catch (ChunkRefused e) {
      // the refused chunk's reply is the transaction's outcome; the replies to the chunks already
      // sent are still read in order, and the next transaction starts with RSET
      f.done = true;
    }
  }

  /** Stops the body of a transaction whose chunk the server refused. */
  private static final class ChunkRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ChunkRefused() {
      super(null, null, false, false);
    }
  }

  /**
   * Reads the replies that have already arrived, without waiting for more: pipelined BDAT learns
   * of a refused chunk before it sends the next one.
   */
  private void readArrivedReplies() throws IOException {
    // decrypted or plain bytes only: a probe of encrypted ones could time out inside a record that
    // is still arriving, and a chunk's refusal is read in turn with the replies anyway
    while (!pending.isEmpty()
        && (reader.hasBufferedInput() || socket.getInputStream().available() > 0)) {
      readOne();
    }
  }

  /**
   * Returns whether the header section has a byte above 127, read from the stream the data will be
   * sent from when the source has one (kept in {@code f}), so the bytes are opened once.
   */
  private static boolean utf8InHeaders(Flight f) throws IOException {
    Optional<InputStream> in = f.tx.source().openStream();
    if (in.isEmpty()) {
      return SourceScan.inHeaders(f.tx.source());
    }
    f.peeked = SourceScan.peekHeaders(in.get());
    return f.peeked.eightBitInHeaders();
  }

  private void writeSource(Flight f, OutputStream body) throws IOException {
    try {
      SourceScan.Peeked peeked = f.peeked;
      if (peeked == null) {
        f.tx.source().writeTo(body);
      } else {
        f.peeked = null;
        try (InputStream rest = peeked.rest()) {
          body.write(peeked.head(), 0, peeked.length());
          rest.transferTo(body);
        }
      }
    } catch (ChunkRefused e) {
      throw e;
    } catch (WireException e) {
      throw e.getCause();
    } catch (MailConnectionException | MailProtocolException e) {
      // raised by the engine itself while the body streamed (a BDAT reply read mid-message)
      throw e;
    } catch (IOException | RuntimeException e) {
      if (e.getCause() instanceof WireException w) {
        throw w.getCause();
      }
      if (e.getCause() instanceof ChunkRefused c) {
        throw c; // wrapped by a source on its way out
      }
      f.sourceFailure = new SourceFailure(e);
      throw f.sourceFailure;
    }
  }

  /** Collects normalised body bytes into BDAT chunks (RFC 3030 §2). */
  private final class ChunkStream extends OutputStream {
    private final Flight flight;
    private int length;

    ChunkStream(Flight flight) {
      this.flight = flight;
    }

    @Override
    public void write(int b) throws IOException {
      if (length == chunk.length) {
        emit(false);
      }
      chunk[length++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (length == chunk.length) {
          emit(false);
        }
        int n = Math.min(len, chunk.length - length);
        System.arraycopy(b, off, chunk, length, n);
        length += n;
        off += n;
        len -= n;
      }
    }

    void emit(boolean last) throws IOException {
      if (usePipelining()) {
        readArrivedReplies();
      }
      if (flight.fin != null && !flight.fin.isPositive()) {
        // RFC 3030 §2: after a 4xx or 5xx to a BDAT, no more BDAT for this transaction
        throw new ChunkRefused();
      }
      if (last) {
        flight.endOfDataSent = true;
      }
      String line = "BDAT " + length + (last ? " LAST" : "");
      transcript.client(serverName, line);
      out.write(line.getBytes(StandardCharsets.US_ASCII));
      out.write(CRLF);
      out.write(chunk, 0, length);
      transcript.clientBody(serverName, "chunk", length);
      unflushed = true;
      length = 0;
      if (last) {
        pending.add(new Expect(settings.dataTimeout(), completion("BDAT LAST", flight::finalReply)));
      } else {
        pending.add(
            new Expect(
                settings.dataTimeout(),
                completion("BDAT", r -> {
                  if (!r.isPositive() && (flight.fin == null || flight.fin.isPositive())) {
                    flight.fin = r;
                  }
                })));
      }
      if (!usePipelining()) {
        awaitAll();
      } else if (pending.size() >= MAX_PENDING_COMMANDS) {
        readOne();
      }
    }
  }

  private String mailFrom(SmtpTransaction tx, boolean smtpUtf8, OptionalLong size) {
    Envelope envelope = tx.envelope();
    StringBuilder b = new StringBuilder(64).append("MAIL FROM:<");
    // A-label domains always: servers match their domain tables (Postfix mydestination, relay
    // domains) byte for byte and none normalises U-labels, so the DNS form is the one that is
    // found; RFC 6531 §3.2 allows either form, a UTF-8 local part goes as it is
    envelope.reversePath().ifPresent(m -> b.append(m.asciiAddress()));
    b.append('>');
    if (capabilities.has("SIZE") && size.isPresent()) {
      b.append(" SIZE=").append(size.getAsLong());
    }
    if (capabilities.has("8BITMIME")) {
      b.append(" BODY=8BITMIME");
    }
    if (smtpUtf8) {
      b.append(" SMTPUTF8");
    }
    DsnOptions dsn = envelope.dsn();
    if (capabilities.has("DSN") && !dsn.isEmpty()) {
      dsn.ret().ifPresent(r -> b.append(" RET=").append(r.name()));
      dsn.envelopeId().ifPresent(id -> b.append(" ENVID=").append(xtext(id)));
    }
    return b.toString();
  }

  private String rcptTo(Mailbox recipient, SmtpTransaction tx) {
    StringBuilder b = new StringBuilder(64).append("RCPT TO:<");
    b.append(recipient.asciiAddress()).append('>'); // A-label domain, as in mailFrom
    DsnOptions dsn = tx.envelope().dsn();
    if (capabilities.has("DSN") && !dsn.notifyOn().isEmpty()) {
      b.append(" NOTIFY=");
      String sep = "";
      for (DsnOptions.Notify n : DsnOptions.Notify.values()) {
        if (dsn.notifyOn().contains(n)) {
          b.append(sep).append(n.name());
          sep = ",";
        }
      }
      if (!recipient.needsSmtpUtf8()) {
        b.append(" ORCPT=rfc822;").append(xtext(recipient.asciiAddress()));
      }
    }
    return b.toString();
  }

  /**
   * Wraps the handler of a reply that completes a command (MAIL, RCPT, RSET, BDAT, the end of the
   * data): 2xx, 4xx or 5xx. A 3xx there is no answer to it (RFC 5321 §4.3.2), and taken for a
   * success it would report as delivered what the server never confirmed: a protocol error.
   */
  private Consumer<ServerReply> completion(String command, Consumer<ServerReply> handler) {
    return r -> {
      if (r.code() >= 300 && r.code() < 400) {
        throw new MailProtocolException(
            serverName + " answered " + command + " with " + r + ", which is no reply to it", null);
      }
      handler.accept(r);
    };
  }

  /** Encodes as xtext (RFC 3461 §4). */
  static String xtext(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
      int v = c & 0xff;
      if (v >= 33 && v <= 126 && v != '+' && v != '=') {
        b.append((char) v);
      } else {
        b.append('+').append(String.format(Locale.ROOT, "%02X", v));
      }
    }
    return b.toString();
  }

  private List<RecipientResult> failAll(Envelope envelope, String why) {
    List<RecipientResult> results = new ArrayList<>();
    for (Mailbox r : envelope.recipients()) {
      results.add(RecipientResult.ofFailure(r, false, why, serverName));
    }
    return results;
  }

  /** Whether transactions may be written before earlier ones have their final reply. */
  private boolean streaming() {
    return settings.maxUnacknowledged() > 1 && usePipelining();
  }

  private boolean usePipelining() {
    return settings.pipelining() && capabilities.has("PIPELINING");
  }

  private boolean useChunking() {
    return settings.chunking() && capabilities.has("CHUNKING");
  }

  // ---------------------------------------------------------------- wire

  /** Queues a command; without pipelining, waits for its reply at once. */
  private void command(String line, Duration timeout, Consumer<ServerReply> handler) throws IOException {
    transcript.client(serverName, line);
    writeLine(line);
    pending.add(new Expect(timeout, handler));
    if (!usePipelining()) {
      awaitAll();
    } else if (pending.size() >= MAX_PENDING_COMMANDS) {
      readOne();
    }
  }

  private void writeLine(String line) throws IOException {
    out.write(line.getBytes(StandardCharsets.UTF_8));
    out.write(CRLF);
    unflushed = true;
  }

  /** Sends one command alone and returns its reply. */
  private ServerReply call(String line, Duration timeout) throws IOException {
    transcript.client(serverName, line);
    return rawCall(line, timeout);
  }

  private ServerReply rawCall(String line) throws IOException {
    return rawCall(line, settings.commandTimeout());
  }

  private ServerReply rawCall(String line, Duration timeout) throws IOException {
    if (!pending.isEmpty()) {
      throw new IllegalStateException("replies outstanding");
    }
    writeLine(line);
    return readReply(timeout);
  }

  private void awaitAll() throws IOException {
    while (!pending.isEmpty()) {
      readOne();
    }
  }

  private void readOne() throws IOException {
    Expect expect = pending.peek();
    ServerReply reply = readReply(expect.timeout());
    pending.poll();
    expect.handler().accept(reply);
  }

  private ServerReply readReply(Duration timeout) throws IOException {
    if (unflushed) {
      unflushed = false;
      out.flush();
    }
    ServerReply reply = reader.read(timeout);
    transcript.server(serverName, reply);
    if (reply.code() == 421) {
      serverClosing = true;
    }
    return reply;
  }

  /**
   * After a failed write, replies the server sent before it stopped reading may still be waiting
   * in the socket: read them, briefly, so transactions the server did answer get their answer.
   */
  private void salvageReplies(MailException failure) {
    if (!writeFailed || pending.isEmpty() || socket == null || socket.isClosed()) {
      return;
    }
    unflushed = false;
    Duration brief = settings.commandTimeout().compareTo(Duration.ofSeconds(2)) < 0
        ? settings.commandTimeout() : Duration.ofSeconds(2);
    try {
      while (!pending.isEmpty()) {
        Expect expect = pending.peek();
        ServerReply reply = reader.read(brief);
        transcript.server(serverName, reply);
        pending.poll();
        expect.handler().accept(reply);
      }
    } catch (IOException | MailException e) {
      failure.addSuppressed(e);
    }
  }

  private void quietQuit() {
    try {
      if (pending.isEmpty() && !broken) {
        call("QUIT", QUIT_TIMEOUT);
      }
    } catch (IOException | MailException e) {
      LOG.debug("QUIT to {} failed: {}", serverName, e.toString());
    }
  }

  /** Closes the connection without QUIT. */
  private void abort() {
    broken = true;
    closed = true;
    pending.clear();
    watches.forEach(WriteWatchdog.Watch::close);
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        LOG.debug("closing the connection to {} failed: {}", serverName, e.toString());
      }
    }
  }

  private MailConnectionException connectionFailure(String what, IOException e) {
    IOException cause = e instanceof WireException w ? w.getCause() : e;
    return new MailConnectionException(what + ": " + cause, true, cause);
  }

  private static boolean isAddressLiteral(String host) {
    return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
  }

  private static String addressLiteral(InetAddress local) {
    if (local instanceof Inet6Address) {
      String text = local.getHostAddress();
      int zone = text.indexOf('%');
      return "[IPv6:" + (zone >= 0 ? text.substring(0, zone) : text) + "]";
    }
    return "[" + local.getHostAddress() + "]";
  }

  /** A failure of the message source, as opposed to the connection. */
  private static final class SourceFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Exception source;

    SourceFailure(Exception cause) {
      super(cause.getMessage(), cause, false, false);
      this.source = cause;
    }

    Exception source() {
      return source;
    }
  }

  /** Marks an I/O failure of the socket, so it is told apart from one of the message source. */
  private static final class WireException extends IOException {
    private static final long serialVersionUID = 1L;

    WireException(IOException cause) {
      super(cause.getMessage(), cause);
    }

    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }

  /** The socket's stream, with a write time-out kept by the watchdog when there is one. */
  private final class WireOutputStream extends OutputStream {
    private final OutputStream socketOut;
    private final WriteWatchdog.Watch watch;

    WireOutputStream(OutputStream socketOut) {
      this.socketOut = socketOut;
      this.watch = settings.watchdog().map(w -> w.watch(socket, settings.dataTimeout())).orElse(null);
      if (watch != null) {
        watches.add(watch);
      }
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (watch != null) {
        watch.writeStarted();
      }
      try {
        socketOut.write(b, off, len);
      } catch (IOException e) {
        throw failed(e);
      } finally {
        if (watch != null) {
          watch.writeEnded();
        }
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        socketOut.flush();
      } catch (IOException e) {
        throw failed(e);
      }
    }

    private WireException failed(IOException e) {
      writeFailed = true;
      return new WireException(
          watch != null && watch.hasFired()
              ? new SocketTimeoutException(
                  "the server read nothing for " + settings.dataTimeout().toMillis() + " ms")
              : e);
    }
  }

  /** Counts body bytes for the transcript. */
  private static final class CountingStream extends OutputStream {
    private final OutputStream target;
    long count;

    CountingStream(OutputStream target) {
      this.target = target;
    }

    @Override
    public void write(int b) throws IOException {
      target.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      target.write(b, off, len);
      count += len;
    }
  }
}
