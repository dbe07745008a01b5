package dev.mailcore.smtp.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Finds out, before a transaction starts, whether a message's bytes need more of the server than
 * plain SMTP: a byte above 127 in the header section needs SMTPUTF8 (RFC 6531 §3.1, RFC 6532), one
 * anywhere needs 8BITMIME (RFC 6152 §3). The source is written into a scanning sink that stops the
 * writing at the first such byte (or, for the headers, at the blank line that ends them), so only
 * as much is read as the answer needs.
 *
 * <p>Stateless and thread-safe.
 */
final class EightBitScan {
  private EightBitScan() {}

  /** Returns true when the header section of {@code source} has a byte above 127. */
  static boolean inHeaders(MessageSource source) throws IOException {
    return scan(source, true);
  }

  /** Returns true when {@code source} has a byte above 127 anywhere. */
  static boolean anywhere(MessageSource source) throws IOException {
    return scan(source, false);
  }

  private static boolean scan(MessageSource source, boolean headersOnly) throws IOException {
    Sink sink = new Sink(headersOnly);
    try {
      source.writeTo(sink);
    } catch (Stop e) {
      return sink.found;
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof Stop) {
        return sink.found;
      }
      throw e;
    } catch (IOException e) {
      if (e.getCause() instanceof Stop) {
        return sink.found;
      }
      throw e;
    }
    return sink.found;
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

  private static final class Sink extends OutputStream {
    private final boolean headersOnly;
    /** The line being read has had no byte but an optional CR so far. */
    private boolean lineEmpty = true;
    private boolean found;

    Sink(boolean headersOnly) {
      this.headersOnly = headersOnly;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
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
