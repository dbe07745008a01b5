package dev.mailcore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A lazy source of bytes: the content of an attachment or of a stored message. Nothing is read
 * until {@link #open()} is called, and each call opens a fresh stream, so a 200 MB file is read
 * from disk while the message is written, never held in memory.
 *
 * <p>Immutable and thread-safe when its source is.
 *
 * @since 0.1
 */
public final class Content {

  /** Opens a new stream over the same bytes each time it is called. */
  @FunctionalInterface
  public interface Source {
    /**
     * Opens the bytes.
     *
     * @throws IOException when they cannot be read
     */
    InputStream open() throws IOException;
  }

  private final Source source;
  private final long size;
  private final byte[] bytes;

  private Content(Source source, long size, byte[] bytes) {
    this.source = source;
    this.size = size;
    this.bytes = bytes;
  }

  /**
   * Creates content over a copy of {@code bytes}.
   *
   * @throws NullPointerException when {@code bytes} is null
   */
  public static Content ofBytes(byte[] bytes) {
    byte[] copy = Objects.requireNonNull(bytes, "bytes").clone();
    return new Content(() -> new ByteArrayInputStream(copy), copy.length, copy);
  }

  /**
   * Creates content over {@code text} encoded in {@code charset}.
   *
   * @throws NullPointerException when an argument is null
   */
  public static Content ofString(String text, Charset charset) {
    byte[] data = Objects.requireNonNull(text, "text")
        .getBytes(Objects.requireNonNull(charset, "charset"));
    return new Content(() -> new ByteArrayInputStream(data), data.length, data);
  }

  /** Creates content read from {@code file} each time it is opened. */
  public static Content ofPath(Path file) {
    Objects.requireNonNull(file, "file");
    return new Content(() -> Files.newInputStream(file), -1, null);
  }

  /**
   * Creates content from a stream supplier; {@code size} is -1 when unknown.
   *
   * @throws NullPointerException when {@code source} is null
   * @throws IllegalArgumentException when {@code size} is less than -1
   */
  public static Content ofSource(Source source, long size) {
    if (size < -1) {
      throw new IllegalArgumentException("size must be -1 (unknown) or at least 0: " + size);
    }
    return new Content(Objects.requireNonNull(source, "source"), size, null);
  }

  /**
   * Opens a fresh stream over the content. The caller closes it.
   *
   * @throws UncheckedIOException when the source cannot be opened or returns no stream (null)
   */
  public InputStream open() {
    InputStream in;
    try {
      in = source.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open content", e);
    }
    if (in == null) {
      throw new UncheckedIOException(
          "cannot open content", new IOException("the content source returned no stream"));
    }
    return in;
  }

  /** Returns the size in bytes, when known without reading. */
  public OptionalLong size() {
    return size >= 0 ? OptionalLong.of(size) : OptionalLong.empty();
  }

  /**
   * Reads the whole content into memory. Meant for small content and tests.
   *
   * @throws UncheckedIOException when reading fails
   */
  public byte[] readAllBytes() {
    if (bytes != null) {
      return bytes.clone();
    }
    try (InputStream in = open()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read content", e);
    }
  }

  /** Returns true when the content is held in memory already (small, from bytes or a string). */
  public boolean isInMemory() {
    return bytes != null;
  }

  /** Compares by bytes when both are in memory, by identity of source otherwise. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Content other)) {
      return false;
    }
    if (bytes != null && other.bytes != null) {
      return Arrays.equals(bytes, other.bytes);
    }
    return source == other.source;
  }

  @Override
  public int hashCode() {
    return bytes != null ? Arrays.hashCode(bytes) : System.identityHashCode(source);
  }

  @Override
  public String toString() {
    return "Content{" + (size >= 0 ? size + " bytes" : "unknown size") + "}";
  }
}
