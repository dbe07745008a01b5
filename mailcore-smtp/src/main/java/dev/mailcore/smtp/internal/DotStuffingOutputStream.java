package dev.mailcore.smtp.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

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
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    int end = off + len;
    int i = off;
    int run = off; // start of the bytes not yet written; proper CRLFs stay inside a run
    boolean lineStart = atLineStart;
    if (pendingCr && i < end) { // the last write ended in CR
      pendingCr = false;
      out.write(CRLF);
      lineStart = true;
      if (b[i] == '\n') {
        run = ++i;
      }
    }
    while (i < end) {
      if (lineStart) {
        lineStart = false;
        if (stuffDots && b[i] == '.') {
          out.write(b, run, i - run);
          out.write('.');
          run = i;
        }
      }
      i = nextLineBreak(b, i, end);
      if (i == end) {
        break;
      }
      lineStart = true;
      if (b[i] == '\r') {
        if (i + 1 == end) {
          out.write(b, run, i - run); // CRLF or bare CR: the next write tells
          run = end;
          pendingCr = true; // the next write starts the new line
          i = end;
        } else if (b[i + 1] == '\n') {
          i += 2;
        } else {
          out.write(b, run, i - run); // bare CR
          out.write(CRLF);
          run = ++i;
        }
      } else {
        out.write(b, run, i - run); // bare LF
        out.write(CRLF);
        run = ++i;
      }
    }
    atLineStart = lineStart;
    if (run < end) {
      out.write(b, run, end - run);
    }
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long CRS = 0x0D0D0D0D0D0D0D0DL;
  private static final long LFS = 0x0A0A0A0A0A0A0A0AL;

  /**
   * Returns the index of the first CR or LF in {@code b[from, end)}, or {@code end}. Looks at
   * eight bytes at a time: a body is mostly text between line ends, and this scan is most of the
   * time a transaction spends on its own CPU.
   */
  private static int nextLineBreak(byte[] b, int from, int end) {
    int i = from;
    for (; i + Long.BYTES <= end; i += Long.BYTES) {
      long word = (long) LONGS.get(b, i);
      long cr = word ^ CRS;
      long lf = word ^ LFS;
      // a byte of cr or lf is zero where word holds CR or LF; the lowest flagged byte is exact
      long found = ((cr - ONES) & ~cr | (lf - ONES) & ~lf) & HIGHS;
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < end; i++) {
      byte c = b[i];
      if (c == '\r' || c == '\n') {
        return i;
      }
    }
    return end;
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
