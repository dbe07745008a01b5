package dev.mailcore.pop3.internal;

import dev.mailcore.Content;
import dev.mailcore.MessageUid;
import dev.mailcore.StoredMessage;
import dev.mailcore.internal.StoredHeaders;
import jakarta.mail.Header;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.angus.mail.pop3.POP3Folder;
import org.eclipse.angus.mail.pop3.POP3Message;
import org.eclipse.angus.mail.pop3.POP3Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipelined read path of one INBOX: opens a {@link Pop3Pipeline} the first time a batch of
 * two or more messages is loaded (when allowed and the server's CAPA lists PIPELINING), fetches
 * each batch's headers (TOP n 0) and, for messages within the prefetch limit, whole bodies (RETR)
 * through it, bodies spooled to a {@link BodySpool}. A message the second session refuses or no
 * longer lists is loaded through Angus instead, headers by TOP and its body by RETR when opened,
 * so its error (if any) stays its own. Not thread-safe; owned by its INBOX.
 */
final class PipelinedReads implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PipelinedReads.class);

  private final Pop3Session session;
  private final POP3Folder folder;
  private Pop3Pipeline pipeline;
  private boolean tried;
  private BodySpool spool;
  private int plans;

  PipelinedReads(Pop3Session session, POP3Folder folder) {
    this.session = session;
    this.folder = folder;
  }

  /**
   * Returns the pipelined session for a batch of {@code count} messages, opening it the first
   * time; empty when reading sequentially is as good (one message) or the only way.
   */
  Optional<Pop3Pipeline> pipeline(int count) throws MessagingException {
    if (pipeline != null && !pipeline.isBroken()) {
      return Optional.of(pipeline);
    }
    if (tried || count < 2 || !session.config().pipelining()) {
      return Optional.empty();
    }
    tried = true;
    if (!((POP3Store) folder.getStore()).capabilities().containsKey("PIPELINING")) {
      log.debug("{} lists no PIPELINING in CAPA; reading sequentially", session.host());
      return Optional.empty();
    }
    pipeline = Pop3Pipeline.open(session.config().settings()).orElse(null);
    return Optional.ofNullable(pipeline);
  }

  /** Loads one listing batch by batch, in order; see {@link #plan}. */
  interface Listing {
    /** Loads messages {@code from} to {@code to} (exclusive) of the listing. */
    List<StoredMessage> load(int from, int to) throws MessagingException;
  }

  /**
   * Plans a listing of {@code all} through {@code p}: headers (TOP n 0) or, within {@code
   * prefetch} bytes, whole messages (RETR), read ahead of the batch the caller is at. When a
   * later plan replaces this one before it is finished (two listings interleaved), this one's
   * remaining batches are read sequentially through Angus.
   */
  Listing plan(Pop3Pipeline p, List<Message> all, MaildropIndex index, long prefetch)
      throws MessagingException {
    List<Pop3Pipeline.Request> requests = new ArrayList<>(all.size());
    for (Message m : all) {
      long size = index.size(m);
      requests.add(new Pop3Pipeline.Request(index.id(m), size, size > 0 && size <= prefetch));
    }
    p.plan(requests);
    int generation = ++plans;
    return (from, to) -> {
      List<Message> batch = all.subList(from, to);
      if (generation != plans || p.isBroken()) {
        return Pop3Messages.loadAll(
            session.session(), batch, batch.size(), index, prefetch);
      }
      return load(p, batch, requests.subList(from, to), from, index);
    };
  }

  /**
   * Loads {@code batch}, requests {@code first} onwards of the plan.
   *
   * @throws dev.mailcore.MailProtocolException when the second session's replies break the
   *     protocol; it is closed, the main session is untouched
   * @throws dev.mailcore.MailConnectionException when the second session drops or times out
   */
  private List<StoredMessage> load(
      Pop3Pipeline p,
      List<Message> batch,
      List<Pop3Pipeline.Request> requests,
      int first,
      MaildropIndex index)
      throws MessagingException {
    int count = batch.size();
    MimeMessage[] headers = new MimeMessage[count];
    BodySpool.Region[] bodies = new BodySpool.Region[count];
    p.fetch(first, first + count, new Collector(first, headers, bodies));
    List<StoredMessage> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      POP3Message pm = (POP3Message) batch.get(i);
      Pop3Pipeline.Request r = requests.get(i);
      if (headers[i] == null) {
        // refused or not listed by the second session: this one goes through Angus
        out.addAll(
            Pop3Messages.load(session.session(), new Message[] {pm}, index, 0));
        continue;
      }
      BodySpool.Region body = bodies[i];
      BodySpool s = spool;
      Content content =
          body != null
              ? Content.ofSource(() -> s.open(body), body.length())
              : Content.ofSource(() -> Pop3Messages.open(pm, r.size()), r.size());
      out.add(
          StoredMessage.builder(MessageUid.of(r.uidl()))
              .size(r.size())
              .headers(StoredHeaders.of(headers[i]))
              .content(content)
              .build());
    }
    return out;
  }

  /** Takes each reply of a window: headers into memory, bodies into the spool. */
  private final class Collector implements Pop3Pipeline.Replies {
    private final int first;
    private final MimeMessage[] headers;
    private final BodySpool.Region[] bodies;
    private ByteArrayOutputStream top;
    private BodySpool.Appender body;
    private HeaderTee tee;

    Collector(int first, MimeMessage[] headers, BodySpool.Region[] bodies) {
      this.first = first;
      this.headers = headers;
      this.bodies = bodies;
    }

    @Override
    public OutputStream sink(int index, Pop3Pipeline.Request request) throws IOException {
      if (request.whole()) {
        if (spool == null) {
          spool = new BodySpool();
        }
        body = spool.append();
        tee = new HeaderTee(body);
        return tee;
      }
      top = new ByteArrayOutputStream(2048);
      return top;
    }

    @Override
    public void done(int index, Pop3Pipeline.Request request) throws IOException {
      try {
        if (request.whole()) {
          BodySpool.Region region = body.finish();
          bodies[index - first] = region;
          if (tee.complete()) {
            headers[index - first] = headerSection(tee.headers());
          } else {
            try (InputStream in = new BufferedInputStream(spool.open(region), 8192)) {
              headers[index - first] = parseHeaders(in);
            }
          }
        } else {
          headers[index - first] = headerSection(top.toByteArray());
        }
      } catch (MessagingException e) {
        throw new IOException("cannot parse the headers of message " + request.uidl(), e);
      }
    }

    @Override
    public void refused(int index, Pop3Pipeline.Request request, String reason) {
      log.debug("pipelined read of {} on {} refused ({}); reading it through the main session",
          request.uidl(), session.host(), reason);
    }
  }

  /**
   * Passes a body on to the spool and keeps a copy of its header section (up to the first empty
   * line, RFC 5322 §2.1), so that headers are parsed from memory instead of read back from disk.
   * Header sections beyond {@link #MAX_HEADERS} are left to be parsed from the spool.
   */
  private static final class HeaderTee extends OutputStream {
    private static final int MAX_HEADERS = 256 * 1024;
    private final OutputStream body;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream(1024);
    private boolean ended;
    private boolean overflow;
    private int state = 1; // 0: inside a line, 1: just after LF, 2: after LF CR

    HeaderTee(OutputStream body) {
      this.body = body;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      body.write(b, off, len);
      int i = off;
      int end = off + len;
      while (!ended && i < end) {
        byte c = b[i++];
        if (c == '\n') {
          ended = state != 0;
          state = 1;
        } else {
          state = c == '\r' && state == 1 ? 2 : 0;
        }
      }
      if (head.size() + (i - off) > MAX_HEADERS) {
        overflow = true;
        ended = true;
      } else if (!overflow) {
        head.write(b, off, i - off);
      }
    }

    /** Returns true when the whole header section was seen and kept. */
    boolean complete() {
      return ended && !overflow;
    }

    byte[] headers() {
      return head.toByteArray();
    }
  }

  /**
   * Returns a message of the header section {@code raw} (up to its empty line), given to Jakarta
   * Mail line by line ({@code addHeaderLine} joins folded lines). The same as parsing it with
   * {@code new MimeMessage(session, in)}, without that constructor's {@code StreamProvider}
   * look-up, a {@code ServiceLoader} scan per message (jakartaee/mail-api #699) that cost a fifth
   * of the client's time; bytes are read as ISO-8859-1 unless {@code mail.mime.allowutf8}, as
   * Jakarta Mail does.
   */
  private MimeMessage headerSection(byte[] raw) throws MessagingException {
    boolean utf8 = Boolean.parseBoolean(session.session().getProperty("mail.mime.allowutf8"));
    String text = new String(raw, utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    MimeMessage m = new MimeMessage(session.session());
    int start = 0;
    while (start < text.length()) {
      int nl = text.indexOf('\n', start);
      int end = nl < 0 ? text.length() : nl;
      int lineEnd = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
      if (lineEnd == start) {
        break; // the empty line that ends the header section
      }
      m.addHeaderLine(text.substring(start, lineEnd));
      start = end + 1;
    }
    return m;
  }

  /** Parses only the header section; the body stays on disk. */
  private MimeMessage parseHeaders(InputStream in) throws MessagingException {
    InternetHeaders parsed = new InternetHeaders(in);
    MimeMessage m = new MimeMessage(session.session());
    for (Enumeration<Header> e = parsed.getAllHeaders(); e.hasMoreElements(); ) {
      Header h = e.nextElement();
      m.addHeader(h.getName(), h.getValue());
    }
    return m;
  }

  /** Closes the second session (QUIT; it marked nothing) and deletes the spooled bodies. */
  @Override
  public void close() {
    if (pipeline != null) {
      pipeline.close();
    }
    if (spool != null) {
      try {
        spool.close();
      } catch (IOException e) {
        // DELETE_ON_CLOSE removes the file as the channel closes; a failure leaves a temp file
        log.warn("could not delete the POP3 body spool {}", spool, e);
      }
    }
  }

  @Override
  public String toString() {
    return "PipelinedReads{" + session.host().toLowerCase(Locale.ROOT) + "}";
  }
}
