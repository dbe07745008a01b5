package dev.mailcore.smtp.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Streams a message body onto the wire: bare CR and bare LF become CRLF (RFC 5321 §2.3.8), and,
 * for DATA, a line starting with a period gets a second one (transparency, §4.5.2) and {@link
 * #finish()} appends the terminating {@code CRLF.CRLF}. For BDAT (RFC 3030) the same class only
 * normalises line ends. Nothing is buffered here beyond one pending CR.
 *
 * <p>Not thread-safe.
 */
public final class DotStuffingOutputStream extends FilterOutputStream {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] TERMINATOR = {'.', '\r', '\n'};

  private final boolean stuffDots;
  private boolean atLineStart = true;
  private boolean pendingCr;
  private boolean finished;

  /**
   * Creates a stream over {@code out}.
   *
   * @param stuffDots true for DATA (dot-stuffing and terminator), false for BDAT
   */
  public DotStuffingOutputStream(OutputStream out, boolean stuffDots) {
    super(out);
    this.stuffDots = stuffDots;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (finished) {
      throw new IOException("message body already finished");
    }
    int end = off + len;
    int run = off; // start of the bytes not yet written; proper CRLFs stay inside a run
    for (int i = off; i < end; i++) {
      byte c = b[i];
      if (pendingCr) { // only ever at i == off: the last write ended in CR
        pendingCr = false;
        out.write(CRLF);
        atLineStart = true;
        if (c == '\n') {
          run = i + 1;
          continue;
        }
      }
      if (c == '\r') {
        if (i + 1 == end) {
          out.write(b, run, i - run); // CRLF or bare CR: the next write tells
          run = end;
          pendingCr = true;
        } else if (b[i + 1] == '\n') {
          i++;
          atLineStart = true;
        } else {
          out.write(b, run, i - run); // bare CR
          out.write(CRLF);
          run = i + 1;
          atLineStart = true;
        }
      } else if (c == '\n') {
        out.write(b, run, i - run); // bare LF
        out.write(CRLF);
        run = i + 1;
        atLineStart = true;
      } else if (atLineStart) {
        atLineStart = false;
        if (c == '.' && stuffDots) {
          out.write(b, run, i - run);
          out.write('.');
          run = i;
        }
      }
    }
    if (run < end) {
      out.write(b, run, end - run);
    }
  }

  /**
   * Ends the body: completes the last line and, for DATA, writes the terminator. Does not flush
   * or close the underlying stream.
   */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    if (pendingCr || !atLineStart) {
      out.write(CRLF);
    }
    pendingCr = false;
    atLineStart = true;
    if (stuffDots) {
      out.write(TERMINATOR);
    }
    finished = true;
  }

  /** Finishes the body; leaves the underlying stream open, since the session owns it. */
  @Override
  public void close() throws IOException {
    finish();
  }
}
