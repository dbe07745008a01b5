package dev.mailcore.smtp.internal;

import dev.mailcore.Attachment;
import dev.mailcore.Header;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * Finds out, before a transaction starts, what a message's bytes need of the server: a byte above
 * 127 in the header section needs SMTPUTF8 (RFC 6531 §3.1, RFC 6532), one anywhere needs 8BITMIME
 * (RFC 6152 §3), and a source of unknown size is measured against the server's SIZE limit (RFC
 * 1870). The source is written into a sink that stops the writing as soon as the answer is known
 * (the first such byte, the blank line that ends the headers, one byte over the limit), so no more
 * is read than the answer needs.
 *
 * <p>Stateless and thread-safe.
 */
final class SourceScan {
  private SourceScan() {}

  /** Returns true when the header section of {@code source} has a byte above 127. */
  static boolean inHeaders(MessageSource source) throws IOException {
    return scan(source, true);
  }

  /**
   * Reads {@code in} in pieces of 16 KiB up to the end of its header section (or its first byte
   * above 127 there) and returns what it read, with the stream, open, to read the rest from. Since
   * the bytes read are sent as they are, a piece this size costs nothing, and most messages are
   * read whole in one read (one {@code pread} of the queue's journal). Closes {@code in} when
   * reading fails.
   */
  static Peeked peekHeaders(InputStream in) throws IOException {
    Sink sink = new Sink(true);
    byte[] head = new byte[PIECE];
    int length = 0;
    try {
      for (int n; (n = in.read(head, length, head.length - length)) > 0; ) {
        int from = length;
        length += n;
        try {
          sink.write(head, from, n);
        } catch (Stop e) {
          break; // the sink has its answer
        }
        if (length == head.length) {
          head = Arrays.copyOf(head, head.length + PIECE);
        }
      }
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
    return new Peeked(head, length, in, sink.found);
  }

  private static final int PIECE = 16 << 10;

  /**
   * The start of a message's bytes, read to scan its header section, and the open stream with the
   * rest.
   *
   * @param head the bytes read; the first {@code length} count
   * @param rest the stream, positioned after them; the reader closes it
   * @param eightBitInHeaders whether the header section has a byte above 127
   */
  record Peeked(byte[] head, int length, InputStream rest, boolean eightBitInHeaders) {}

  /** Returns true when {@code source} has a byte above 127 anywhere. */
  static boolean anywhere(MessageSource source) throws IOException {
    return scan(source, false);
  }

  /**
   * Returns the size of {@code source} in bytes as written (RFC 1870 §3 counts its CRLFs), or
   * {@code limit + 1} when it is larger than {@code limit}, which it finds without reading on.
   */
  static long size(MessageSource source, long limit) throws IOException {
    Counter counter = new Counter(limit);
    run(source, counter);
    if (counter.count <= limit && counter.lineOpen) {
      counter.count += 2; // the CRLF the session adds to a last line without one
    }
    return Math.min(counter.count, limit + 1);
  }

  /**
   * Returns more bytes than {@code message} can take rendered, or empty when an attachment's size
   * is not known. Each character of the texts, the subject, the header fields and the display
   * names counts as ten bytes: three UTF-8 bytes, each escaped as {@code =XX} in quoted-printable
   * or base64 encoded-words, plus soft line breaks and folding. A file name counts twenty per
   * character, since it is written twice ({@code name=} and the RFC 2231 {@code filename*}). An
   * address counts 9 KiB, an attachment twice its size (base64 with its line breaks takes under
   * 1.4 times; a {@code message/*} or {@code multipart/*} part, sent as it is with each bare LF
   * made CRLF, under twice), and each part 8 KiB for its headers and boundaries.
   */
  static OptionalLong sizeBound(Message message) {
    long chars = message.text().map(String::length).orElse(0)
        + message.html().map(String::length).orElse(0)
        + message.subject().map(String::length).orElse(0);
    for (Header h : message.headers()) {
      chars += h.name().length() + h.value().length();
    }
    List<Mailbox> addresses = new ArrayList<>(message.from());
    message.sender().ifPresent(addresses::add);
    addresses.addAll(message.to());
    addresses.addAll(message.cc());
    addresses.addAll(message.replyTo());
    for (Mailbox m : addresses) {
      chars += m.displayName().map(String::length).orElse(0);
    }
    long bound = 9 * 1024L * addresses.size() + 8192L * (3 + message.attachments().size());
    for (Attachment a : message.attachments()) {
      OptionalLong n = a.content().size();
      if (n.isEmpty()) {
        return OptionalLong.empty();
      }
      bound += 20L * a.fileName().map(String::length).orElse(0) + 2 * n.getAsLong() + 160;
    }
    return OptionalLong.of(bound + 10 * chars);
  }

  private static boolean scan(MessageSource source, boolean headersOnly) throws IOException {
    Sink sink = new Sink(headersOnly);
    run(source, sink);
    return sink.found;
  }

  private static void run(MessageSource source, OutputStream sink) throws IOException {
    try {
      source.writeInPiecesTo(sink);
    } catch (Stop e) {
      // the sink has its answer
    } catch (UncheckedIOException e) {
      if (!(e.getCause() instanceof Stop)) {
        throw e;
      }
    } catch (IOException e) {
      if (!(e.getCause() instanceof Stop)) {
        throw e;
      }
    }
  }

  /** A sink that takes single bytes as arrays of one. */
  private abstract static class ByteSink extends OutputStream {
    @Override
    public final void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }
  }

  /** Counts bytes, with a bare CR or LF counted as the CRLF it becomes on the wire. */
  private static final class Counter extends ByteSink {
    private final long limit;
    private long count;
    private boolean afterCr;
    /** The last byte was neither CR nor LF: the session ends that line with a CRLF. */
    private boolean lineOpen;

    Counter(long limit) {
      this.limit = limit;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      for (int i = off; i < off + len; i++) {
        byte c = b[i];
        // a CR counts as CRLF at once, so the LF that may follow it adds nothing
        count += c == '\r' ? 2 : c == '\n' ? (afterCr ? 0 : 2) : 1;
        afterCr = c == '\r';
        lineOpen = c != '\r' && c != '\n';
      }
      if (count > limit) {
        count = limit + 1;
        throw new Stop();
      }
    }
  }

  /** Ends the writing early; carries no stack trace. */
  private static final class Stop extends IOException {
    private static final long serialVersionUID = 1L;

    Stop() {
      super("scan complete", null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  /** Looks for a byte above 127, in the headers or anywhere. */
  private static final class Sink extends ByteSink {
    private final boolean headersOnly;
    /** The line being read has had no byte but an optional CR so far. */
    private boolean lineEmpty = true;
    private boolean found;

    Sink(boolean headersOnly) {
      this.headersOnly = headersOnly;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      for (int i = off; i < off + len; i++) {
        byte c = b[i];
        if (c < 0) {
          found = true;
          throw new Stop();
        }
        if (!headersOnly) {
          continue;
        }
        if (c == '\n') {
          if (lineEmpty) {
            throw new Stop(); // the blank line: the headers end here
          }
          lineEmpty = true;
        } else if (c != '\r') {
          lineEmpty = false;
        }
      }
    }
  }
}
