package dev.mailcore.smtp.queue.jdbc;

import java.io.InputStream;
import java.util.Random;

/** {@code size} reproducible bytes from a seed, made as they are read; never held in memory. */
final class GeneratedBytes extends InputStream {
  private final Random random;
  private long left;

  GeneratedBytes(long seed, long size) {
    this.random = new Random(seed);
    this.left = size;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (left == 0) {
      return -1;
    }
    int n = (int) Math.min(len, left);
    for (int i = 0; i < n; i++) {
      b[off + i] = (byte) random.nextInt(256);
    }
    left -= n;
    return n;
  }
}
