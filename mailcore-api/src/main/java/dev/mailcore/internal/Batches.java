package dev.mailcore.internal;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A lazy stream over message numbers 1..count, loaded a batch at a time ({@code size} messages,
 * or as a {@link Planner} decides): the next batch is fetched (one round trip) only when the
 * consumer reaches it.
 */
public final class Batches {
  /** Loads the items for message numbers {@code from..to}, inclusive. */
  @FunctionalInterface
  public interface Loader<T> {
    /** Loads one batch. */
    List<T> load(int from, int to);
  }

  private Batches() {}

  /** Loads the batch that starts at message number {@code from}, choosing where it ends. */
  @FunctionalInterface
  public interface Planner<T> {
    /** Loads one batch; its {@link Batch#next()} must be above {@code from}. */
    Batch<T> load(int from);
  }

  /**
   * One planned batch: its items and the message number the next batch starts at.
   *
   * @param items the loaded items (messages gone meanwhile are simply absent)
   * @param next the first message number after this batch
   */
  public record Batch<T>(List<T> items, int next) {}

  /** Returns an ordered, sequential stream over {@code count} items, {@code size} at a time. */
  public static <T> Stream<T> stream(int count, int size, Loader<T> loader) {
    if (size < 1) {
      throw new IllegalArgumentException("batch size must be positive: " + size);
    }
    return stream(
        count,
        from -> {
          int to = Math.min(count, from + size - 1);
          return new Batch<>(loader.load(from, to), to + 1);
        });
  }

  /**
   * Returns an ordered, sequential stream over message numbers 1..{@code count} in batches that
   * {@code planner} sizes itself (by bytes, say), each loaded when the consumer reaches it.
   */
  public static <T> Stream<T> stream(int count, Planner<T> planner) {
    Iterator<T> it =
        new Iterator<>() {
          private int next = 1;
          private Iterator<T> batch = List.<T>of().iterator();

          @Override
          public boolean hasNext() {
            while (!batch.hasNext() && next <= count) {
              Batch<T> b = planner.load(next);
              if (b.next() <= next) {
                throw new IllegalStateException("batch from " + next + " did not advance");
              }
              batch = b.items().iterator();
              next = b.next();
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
