package dev.mailcore.pop3.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One temporary file (owner-only, deleted when closed) to which pipelined RETR replies are
 * appended, so that bodies fetched ahead cost disk, not heap, however many messages a listing
 * holds; each body is then read back from its region. Like Angus's own file cache, it lives as
 * long as the INBOX that fetched it. Appending is for one thread; regions may be read from any
 * thread (positional reads).
 */
final class BodySpool implements AutoCloseable {
  private final Path path;
  private final FileChannel file;
  private final ByteBuffer pending = ByteBuffer.allocate(64 * 1024);
  private long end;

  /** A stored body: where it starts and how long it is. */
  record Region(long offset, long length) {}

  BodySpool() throws IOException {
    this.path = Files.createTempFile("mailcore-pop3-", ".spool");
    this.file =
        FileChannel.open(
            path,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE,
            StandardOpenOption.DELETE_ON_CLOSE);
  }

  /** Returns a sink appending one body; {@link Appender#finish()} returns its region. */
  Appender append() {
    return new Appender(end);
  }

  /** Writes what one body added so far; bodies follow each other in the file. */
  final class Appender extends OutputStream {
    private final long start;

    private Appender(long start) {
      this.start = start;
    }

    @Override
    public void write(int b) throws IOException {
      if (!pending.hasRemaining()) {
        drain();
      }
      pending.put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (!pending.hasRemaining()) {
          drain();
        }
        int n = Math.min(len, pending.remaining());
        pending.put(b, off, n);
        off += n;
        len -= n;
      }
    }

    /** Writes the body out and returns its region, readable from now on. */
    Region finish() throws IOException {
      drain();
      return new Region(start, end - start);
    }
  }

  private void drain() throws IOException {
    pending.flip();
    while (pending.hasRemaining()) {
      end += file.write(pending, end);
    }
    pending.clear();
  }

  /**
   * Opens a region for reading.
   *
   * @throws IOException when the spool (the INBOX) was closed
   */
  InputStream open(Region region) throws IOException {
    if (!file.isOpen()) {
      throw new IOException("the POP3 INBOX that fetched this message was closed");
    }
    return new RegionStream(region);
  }

  private final class RegionStream extends InputStream {
    private long position;
    private final long limit;

    RegionStream(Region r) {
      this.position = r.offset();
      this.limit = r.offset() + r.length();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (position >= limit) {
        return -1;
      }
      int want = (int) Math.min(len, limit - position);
      int n;
      try {
        n = file.read(ByteBuffer.wrap(b, off, want), position);
      } catch (ClosedChannelException e) {
        throw new IOException("the POP3 INBOX that fetched this message was closed", e);
      }
      if (n < 0) {
        throw new IOException("spool file " + path + " is shorter than expected");
      }
      position += n;
      return n;
    }

    @Override
    public int available() {
      return (int) Math.min(Integer.MAX_VALUE, limit - position);
    }
  }

  @Override
  public void close() throws IOException {
    file.close();
  }

  @Override
  public String toString() {
    return "BodySpool{" + path + ", " + end + " bytes}";
  }
}
