package dev.mailcore.internal;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A lazy stream over message numbers 1..count, loaded {@code size} at a time: the next batch is
 * fetched (one round trip) only when the consumer reaches it.
 */
public final class Batches {
  /** Loads the items for message numbers {@code from..to}, inclusive. */
  @FunctionalInterface
  public interface Loader<T> {
    /** Loads one batch. */
    List<T> load(int from, int to);
  }

  private Batches() {}

  /** Returns an ordered, sequential stream over {@code count} items. */
  public static <T> Stream<T> stream(int count, int size, Loader<T> loader) {
    if (size < 1) {
      throw new IllegalArgumentException("batch size must be positive: " + size);
    }
    Iterator<T> it =
        new Iterator<>() {
          private int next = 1;
          private Iterator<T> batch = List.<T>of().iterator();

          @Override
          public boolean hasNext() {
            while (!batch.hasNext() && next <= count) {
              int to = Math.min(count, next + size - 1);
              batch = loader.load(next, to).iterator();
              next = to + 1;
            }
            return batch.hasNext();
          }

          @Override
          public T next() {
            if (!hasNext()) {
              throw new NoSuchElementException();
            }
            return batch.next();
          }
        };
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false);
  }
}
