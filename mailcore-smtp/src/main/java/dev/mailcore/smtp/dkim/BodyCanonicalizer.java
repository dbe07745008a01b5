package dev.mailcore.smtp.dkim;

import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Canonicalizes a message body on the fly into a digest (RFC 6376 §3.4.3, §3.4.4), so that the
 * body hash of a message of any size is computed in constant memory.
 *
 * <p>Empty lines are held back as a count and written only when more content follows, which is
 * how "ignore all empty lines at the end of the body" works without buffering. A bare LF counts
 * as a line end, as CRLF would after SMTP transmission. Not thread-safe.
 */
final class BodyCanonicalizer extends OutputStream {
  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final MessageDigest digest;
  private final boolean relaxed;
  private final byte[] buffer = new byte[8192];
  private int buffered;
  private long pendingLineEnds;
  private boolean pendingCr;
  private boolean pendingSpace;
  private boolean wroteContent;
  private boolean closed;

  BodyCanonicalizer(MessageDigest digest, DkimCanonicalization canonicalization) {
    this.digest = digest;
    this.relaxed = canonicalization == DkimCanonicalization.RELAXED;
  }

  @Override
  public void write(int b) {
    accept((byte) b);
  }

  @Override
  public void write(byte[] bytes, int off, int len) {
    for (int i = off; i < off + len; i++) {
      accept(bytes[i]);
    }
  }

  private void accept(byte b) {
    if (closed) {
      throw new IllegalStateException("body already finished");
    }
    if (pendingCr) {
      pendingCr = false;
      if (b == LF) {
        lineEnd();
        return;
      }
      content(CR); // a bare CR is content, not a line end
    }
    if (b == CR) {
      pendingCr = true;
    } else if (b == LF) {
      lineEnd();
    } else if (relaxed && (b == ' ' || b == '\t')) {
      pendingSpace = true;
    } else {
      content(b);
    }
  }

  private void lineEnd() {
    pendingSpace = false; // relaxed: whitespace at the end of a line is dropped
    pendingLineEnds++;
  }

  private void content(byte b) {
    while (pendingLineEnds > 0) {
      put(CR);
      put(LF);
      pendingLineEnds--;
    }
    if (pendingSpace) {
      pendingSpace = false;
      put((byte) ' ');
    }
    put(b);
    wroteContent = true;
  }

  private void put(byte b) {
    if (buffered == buffer.length) {
      digest.update(buffer, 0, buffered);
      buffered = 0;
    }
    buffer[buffered++] = b;
  }

  /**
   * Ends the body: the last line gets its CRLF; an empty body is CRLF in simple and nothing in
   * relaxed canonicalization (RFC 6376 §3.4.3, §3.4.4).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (pendingCr) {
      pendingCr = false;
      content(CR);
    }
    if (wroteContent || !relaxed) {
      put(CR);
      put(LF);
    }
    digest.update(buffer, 0, buffered);
    buffered = 0;
    closed = true;
  }
}
