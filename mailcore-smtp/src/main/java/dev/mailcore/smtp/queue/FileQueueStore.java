package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueueStore} in a directory: the embedded default. Survives crashes of the process and of
 * the machine: a write is acknowledged only after {@code fsync}.
 *
 * <p>Layout: an append-only journal of segment files ({@code journal-0000000000000001.log}, ...,
 * rolled at 64 MiB) holding three kinds of record, each with a CRC-32C: a new entry with its
 * message bytes, a new state of an entry, and a deletion. One writer thread takes every pending
 * write from all callers and appends the whole batch with one write; a sync thread then calls
 * {@link FileChannel#force} once for everything written since its last one and only then
 * acknowledges it (group commit, pipelined: the next batch is written while the last one is
 * synced). Concurrent producers so share each {@code fsync} instead of paying one file, one {@code
 * fsync} and one directory {@code fsync} per message. A state change is one record, so it is
 * atomic: after a crash the reopened store holds the last acknowledged state of every entry.
 *
 * <p>A segment's file is reused for a later segment once nothing in it is live (renamed, not
 * deleted), so group commits overwrite allocated blocks in place and {@code force(false)}
 * (fdatasync) commits no file-system metadata. Each record's CRC covers its segment's number, so
 * the records of a reused file's earlier life never check out again. Until a segment is free for
 * reuse, the head gets zeros ahead of the writer while it is idle, or between small group commits;
 * under a bulk load a group commit that grows the file carries its own metadata commit (zeros
 * written then would go to the disk with the load's fsyncs, doubling its bytes). Journals of the
 * earlier record format (without the segment number) are still read; their segments are deleted, never reused. A segment that
 * starts with a record of an unknown, newer format makes {@link #open} fail rather than lose it.
 * Opening replays the journal up to the first record whose header or CRC does not check out (the
 * zero tail, a record torn by a crash, never acknowledged, or a reused file's old records);
 * everything after it is overwritten with zeros, with a log line when it was not all zeros, so no
 * stale record can ever follow the records written next. A clean close drops the tail. A segment is
 * reclaimed, oldest first, once nothing in it is live; entries deferred at least once that are still
 * queued in an old, mostly dead segment are copied forward first, so long-deferred messages do not
 * pin disk space. Message bytes are read through one shared channel per segment.
 *
 * <p>A failed {@code fsync} is final: the kernel may have dropped the pages it could not write
 * and a later {@code fsync} would succeed without them, so from then on every write fails with a
 * {@link QueueStoreException} (not temporary) until the store is closed and opened again. No
 * write is acknowledged that is not durable, but one that failed may yet be found after the reopen
 * (the disk may have taken it after all): an {@code fsync} that fails cannot say what it wrote.
 *
 * <p>The whole index (entries, not message bytes) is kept in memory, about 1 KB per entry. A
 * directory may be opened by one store at a time; a lock file keeps a second process out.
 *
 * <p>Thread-safe.
 *
 * <pre>{@code
 * try (QueueStore store = FileQueueStore.open(Path.of("/var/spool/myapp/mail"))) {
 *   ...
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class FileQueueStore implements QueueStore {

  private static final Logger LOG = LoggerFactory.getLogger(FileQueueStore.class);

  static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
  /** Records of format 2: the meta CRC covers the segment's number too ("MQJ2"). */
  private static final int MAGIC = 0x4D514A32;
  /** Records of format 1, without the segment number (still read; never written). */
  private static final int MAGIC_V1 = 0x4D514A31;
  private static final byte ENQUEUE = 1;
  private static final byte STATE = 2;
  private static final byte DELETE = 3;
  private static final byte PAD = 4;
  private static final int HEADER = 25;
  private static final int MAX_META = 16 << 20;
  private static final int MAX_BATCH = 4096;
  /** Records applied to the index per hold of the lock after a group commit. */
  private static final int APPLY_CHUNK = 32;
  private static final int BUFFERED_BODY_LIMIT = 1 << 20;
  /**
   * Bytes written per call: small enough that what the journal thread just copied in is still in
   * the CPU's cache when the kernel copies it out (a multi-megabyte batch evicts itself and what
   * the delivery threads work on), large enough that the calls cost nothing next to the fsync.
   */
  private static final int BATCH_BUFFER_LIMIT = 256 << 10;
  /** A batch buffer grown past this for one huge record is dropped after its flush. */
  private static final int BATCH_BUFFER_KEEP = 8 << 20;
  private static final double RELOCATE_BELOW_LIVE_FRACTION = 0.3;
  private static final long PREALLOCATE_CHUNK = 8L << 20;
  private static final long PREALLOCATE_PIECE = 1L << 20;
  /**
   * Zeros are written ahead of the head once no request has come for this long (and in the pauses
   * of a load of small group commits, {@link #PREALLOCATE_BELOW_BYTES_PER_SYNC}). Between the group
   * commits of a bulk load the writer is idle for a moment too, but zeros written then go to the
   * disk with the next {@code fsync}: every message's bytes would be written twice, and the load
   * slows by a sixth or so (measured: {@code enqueueAsync} 14,400–16,000 msg/s with zeros written in
   * every pause, 16,900–20,000 without).
   */
  private static final long PREALLOCATE_AFTER_IDLE_MILLIS = 20;
  /**
   * Zeros are also written in the pauses between group commits while the fsyncs cover fewer bytes
   * than this on average. An fsync that grows the file costs a metadata journal commit, about as
   * long as this disk takes to write a few hundred KiB: below that, zero-writing the bytes ahead
   * costs less than growing (blocking {@code enqueue} from 8 threads, about 10 KB per message, ran
   * some 20% faster with zeros); above it, growing costs less. The writer's own batches say
   * nothing here: a bulk load's fsync covers several of them, small ones among them.
   */
  private static final long PREALLOCATE_BELOW_BYTES_PER_SYNC = 256 << 10;
  /** Reclaimed segment files kept for reuse, at most; the others are deleted. */
  private static final int MAX_REUSABLE = 2;
  private static final long RECENT_MESSAGE_LIMIT = 256 << 10;
  private static final long RECENT_BYTES_LIMIT = 16 << 20;
  private static final long RECENT_STALE_AFTER_BYTES = 4 * RECENT_BYTES_LIMIT;

  /** A journal segment and what in it is still needed. */
  private static final class Segment {
    final long number;
    final Path path;
    /**
     * Made by this store (its records are all of format 2, bound to its number), so its file may be
     * reused as a later segment once nothing in it is live.
     */
    boolean recyclable; // the writer's (or recovery's) own
    long size;
    int refs;
    long liveBytes;
    /**
     * False once a relocation has copied what it could and left only the records of entries not
     * yet attempted, until an entry whose body is here is attempted: nothing else makes a record
     * of a segment behind the head worth copying, so until then a pass need not scan the index for
     * it, nor wait for the fsync first. Guarded by the store's lock.
     */
    boolean mayHaveMovable = true;

    private SegmentReader reader; // guarded by the store's lock; made on first read

    Segment(long number, Path path, boolean recyclable) {
      this.number = number;
      this.path = path;
      this.recyclable = recyclable;
    }

    /** True while a stream still reads this segment's file. Caller holds the store's lock. */
    boolean inUse() {
      return reader != null && reader.inUse();
    }

    /** Returns the shared reader. Caller holds the store's lock. */
    SegmentReader reader() {
      if (reader == null) {
        reader = new SegmentReader(path);
      }
      return reader;
    }

    /** The segment is gone (or the store closed): the reader closes once no stream uses it. */
    void retire() {
      if (reader != null) {
        reader.retire();
      }
    }
  }

  /** Where an entry's bytes and latest state are. */
  private static final class Location {
    long bodySegment;
    long bodyOffset;
    long bodyLength;
    long stateSegment;
    long stateSize;
  }

  /** One write for the writer thread. */
  private static final class Request {
    final byte type;
    final QueueEntry entry;
    final QueueId id;
    final Content body;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    // filled in by the writer
    long segment;
    long offset;
    long recordSize;
    long bodyLength;
    Throwable failure;

    Request(byte type, QueueEntry entry, QueueId id, Content body) {
      this.type = type;
      this.entry = entry;
      this.id = id;
      this.body = body;
    }
  }

  private static final Request STOP = new Request(PAD, null, null, null);
  /** Asks the writer to reclaim segments: the sync thread applied changes that may free one. */
  private static final Request MAINTAIN = new Request(PAD, null, null, null);

  private final Path directory;
  private final long segmentBytes;
  private final long preallocateAfterIdleMillis;
  private final long preallocateBelowBytesPerSync;
  /** Bytes per fsync, a moving average: written by the sync thread, read by the writer. */
  private volatile long bytesPerSync;
  private final FileChannel lockChannel;
  private final FileLock fileLock;
  private final Object lock = new Object();
  private final EntryIndex index = new EntryIndex();
  // guarded by lock: bytes of small messages just made durable, until their first read, oldest
  // first; and how many bytes of such messages have been offered to keep so far
  private final LinkedHashMap<QueueId, Kept> recent = new LinkedHashMap<>();
  private long recentBytes;
  private long offeredBytes;
  private int relocationScans; // guarded by lock: how often relocateFrom walked the index

  /** A message's bytes kept in memory, and {@link #offeredBytes} when they were kept. */
  private record Kept(Content body, long length, long offeredBefore) {}
  /** Changed under {@link #lock} only; concurrent so that existence checks need no lock. */
  private final Map<QueueId, Location> locations = new ConcurrentHashMap<>();
  private final TreeMap<Long, Segment> segments = new TreeMap<>();
  private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final Thread syncer;
  private final LinkedBlockingQueue<Written> toSync = new LinkedBlockingQueue<>();
  private final AtomicBoolean maintenanceAsked = new AtomicBoolean();
  // writer thread only: a reclaimed segment's file whose deletion failed, to be tried again first
  private Path undeleted;
  // writer thread only: reclaimed segment files, renamed, for the next rolls (oldest first)
  private final java.util.ArrayDeque<Path> reusable = new java.util.ArrayDeque<>();
  private final ReentrantReadWriteLock closing = new ReentrantReadWriteLock();
  private volatile boolean closed;
  private final Fsync fsync;
  private final Object forcing = new Object();
  /** The first failed {@code fsync} of the journal: no force is trusted after it. */
  private volatile IOException journalFailure; // set under forcing

  /** The kernel's {@code fsync} of a file or directory, or a test's fault in its place. */
  @FunctionalInterface
  interface Fsync {
    /** Forces {@code channel}, open on {@code path}. */
    void force(Path path, FileChannel channel, boolean metaData) throws IOException;
  }

  // owned by the writer thread after construction
  private Segment head;
  private FileChannel headChannel;
  private long headPosition;

  private FileQueueStore(
      Path directory,
      long segmentBytes,
      long preallocateAfterIdleMillis,
      long preallocateBelowBytesPerSync,
      Fsync fsync)
      throws IOException {
    this.directory = directory;
    this.fsync = fsync;
    this.segmentBytes = segmentBytes;
    this.preallocateAfterIdleMillis = preallocateAfterIdleMillis;
    this.preallocateBelowBytesPerSync = preallocateBelowBytesPerSync;
    createDirectories(directory);
    lockChannel =
        FileChannel.open(
            directory.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null; // held by another store in this process
    } catch (IOException | RuntimeException e) {
      lockChannel.close();
      throw e;
    }
    if (l == null) {
      lockChannel.close();
      throw new QueueStoreException(
          "queue directory is in use by another store: " + directory, true, null);
    }
    fileLock = l;
    syncer = new Thread(this::syncLoop, "mailcore-queue-journal-sync");
    syncer.setDaemon(true);
    syncer.start(); // recovery may copy live entries forward, through the sync thread
    try {
      recover();
    } catch (IOException | RuntimeException e) {
      toSync.add(Written.STOP);
      if (headChannel != null) {
        closeQuietly(headChannel); // opened by a recovery that failed later on
      }
      fileLock.release();
      lockChannel.close();
      throw e;
    }
    writer = new Thread(this::writeLoop, "mailcore-queue-journal");
    writer.setDaemon(true);
    writer.start();
  }

  /**
   * Opens (creating it when missing) the queue in {@code directory} and recovers it: every
   * acknowledged entry is back, with its last acknowledged state.
   *
   * @throws QueueStoreException when the directory cannot be created or read, or another store has
   *     it open
   */
  public static FileQueueStore open(Path directory) {
    return open(directory, DEFAULT_SEGMENT_BYTES);
  }

  static FileQueueStore open(Path directory, long segmentBytes) {
    return open(
        directory, segmentBytes, PREALLOCATE_AFTER_IDLE_MILLIS, PREALLOCATE_BELOW_BYTES_PER_SYNC);
  }

  /** For tests: zeros ahead of the head after that long idle, or while fsyncs cover fewer bytes. */
  static FileQueueStore open(
      Path directory,
      long segmentBytes,
      long preallocateAfterIdleMillis,
      long preallocateBelowBytesPerSync) {
    return open(
        directory,
        segmentBytes,
        preallocateAfterIdleMillis,
        preallocateBelowBytesPerSync,
        (path, channel, metaData) -> channel.force(metaData));
  }

  /** For tests: like the one above, with {@code fsync} in place of the kernel's. */
  static FileQueueStore open(
      Path directory,
      long segmentBytes,
      long preallocateAfterIdleMillis,
      long preallocateBelowBytesPerSync,
      Fsync fsync) {
    Objects.requireNonNull(directory, "directory");
    try {
      return new FileQueueStore(
          directory, segmentBytes, preallocateAfterIdleMillis, preallocateBelowBytesPerSync, fsync);
    } catch (IOException e) {
      throw new QueueStoreException("cannot open queue directory " + directory, true, e);
    }
  }

  /** For tests: how often relocation walked the index for live records of an old segment. */
  int relocationScans() {
    synchronized (lock) {
      return relocationScans;
    }
  }

  /** Returns the directory of this store. */
  public Path directory() {
    return directory;
  }

  // ---------------------------------------------------------------- public operations

  @Override
  public void append(QueueEntry entry, Content message) {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(message, "message");
    synchronized (lock) {
      if (index.contains(entry.id())) {
        throw new IllegalStateException("entry exists: " + entry.id());
      }
    }
    submit(new Request(ENQUEUE, entry, entry.id(), message));
  }

  @Override
  public CompletableFuture<Void> appendAsync(QueueEntry entry, Content message) {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(message, "message");
    if (locations.containsKey(entry.id())) { // every entry of the index has a location
      return CompletableFuture.failedFuture(
          new IllegalStateException("entry exists: " + entry.id()));
    }
    return submitAsync(new Request(ENQUEUE, entry, entry.id(), message));
  }

  /**
   * Replaces an entry's state like {@link #update} without waiting: the future completes once the
   * new state is durable (shared {@code fsync} with every other write of the batch).
   */
  @Override
  public CompletableFuture<Void> updateAsync(QueueEntry entry) {
    Objects.requireNonNull(entry, "entry");
    synchronized (lock) {
      if (!index.contains(entry.id())) {
        return CompletableFuture.failedFuture(
            new NoSuchElementException("no queue entry " + entry.id()));
      }
    }
    return submitAsync(new Request(STATE, entry, entry.id(), null));
  }

  /** Removes an entry like {@link #delete} without waiting for the disk. */
  @Override
  public CompletableFuture<Void> deleteAsync(QueueId id) {
    Objects.requireNonNull(id, "id");
    if (!locations.containsKey(id)) { // no lock: delivery threads call this per message
      return CompletableFuture.completedFuture(null);
    }
    return submitAsync(new Request(DELETE, null, id, null));
  }

  private CompletableFuture<Void> submitAsync(Request r) {
    try {
      enqueueRequest(r);
    } catch (IllegalStateException e) {
      return CompletableFuture.failedFuture(e);
    }
    return r.done;
  }

  @Override
  public Content message(QueueId id) {
    Objects.requireNonNull(id, "id");
    long length;
    long offset;
    SegmentReader reader;
    synchronized (lock) {
      Location loc = locations.get(id);
      if (loc == null) {
        throw new NoSuchElementException("no queue entry " + id);
      }
      length = loc.bodyLength;
      Content kept = forgetRecent(id); // the first read only: a retry or a bounce reads the journal
      if (kept != null) {
        return kept;
      }
      offset = loc.bodyOffset;
      reader = segments.get(loc.bodySegment).reader();
    }
    return Content.ofSource(() -> openBody(id, reader, offset, length), length);
  }

  /**
   * Opens a body where {@link #message} found it, without the store's lock (the delivery threads
   * would otherwise queue behind every group commit's index update for it). The reader refuses once
   * its segment is retired, since the file may then be reused; the body is then looked up afresh.
   * A body found where a relocation has since copied it from holds the same bytes.
   */
  private InputStream openBody(QueueId id, SegmentReader reader, long offset, long length)
      throws IOException {
    FileChannel ch = reader.acquireUnlessRetired();
    if (ch == null) {
      return openBody(id);
    }
    return new SegmentInputStream(reader, ch, offset, length);
  }

  @Override
  public void update(QueueEntry entry) {
    Objects.requireNonNull(entry, "entry");
    synchronized (lock) {
      if (!index.contains(entry.id())) {
        throw new NoSuchElementException("no queue entry " + entry.id());
      }
    }
    submit(new Request(STATE, entry, entry.id(), null));
  }

  @Override
  public void delete(QueueId id) {
    Objects.requireNonNull(id, "id");
    synchronized (lock) {
      if (!index.contains(id)) {
        return;
      }
    }
    submit(new Request(DELETE, null, id, null));
  }

  @Override
  public Optional<QueueEntry> entry(QueueId id) {
    synchronized (lock) {
      return index.get(id);
    }
  }

  @Override
  public List<QueueEntry> entries() {
    synchronized (lock) {
      return index.all();
    }
  }

  @Override
  public List<QueueEntry> due(Instant now, int limit) {
    synchronized (lock) {
      return index.due(now, limit);
    }
  }

  @Override
  public boolean claim(QueueId id) {
    synchronized (lock) {
      index.claim(id);
      return true;
    }
  }

  @Override
  public void unclaim(QueueId id) {
    synchronized (lock) {
      index.unclaim(id);
    }
  }

  @Override
  public Optional<Instant> nextDue() {
    synchronized (lock) {
      return index.nextDue();
    }
  }

  @Override
  public int size() {
    synchronized (lock) {
      return index.size();
    }
  }

  @Override
  public void close() {
    closing.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      requests.add(STOP);
    } finally {
      closing.writeLock().unlock();
    }
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    dropReusable();
    LOG.debug(
        "queue journal {}: {} group commits ({} growing the file), {} ms in fsync",
        directory,
        forces,
        growingForces,
        forceNanos / 1_000_000);
    synchronized (lock) {
      for (Segment seg : segments.values()) {
        seg.retire(); // streams still open close their channel when they are closed
      }
    }
    try {
      if (headChannel != null) {
        if (journalFailure == null && headChannel.size() > headPosition) {
          headChannel.truncate(headPosition); // drop the preallocated zeros
          force(head.path, headChannel, true);
        }
        headChannel.close();
      }
    } catch (IOException e) {
      throw new QueueStoreException("cannot close queue directory " + directory, true, e);
    } finally {
      try {
        fileLock.release(); // whatever failed above: the directory may be opened again
        lockChannel.close();
      } catch (IOException e) {
        LOG.warn("cannot release the lock of queue directory {}", directory, e);
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void submit(Request r) {
    enqueueRequest(r);
    try {
      r.done.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new QueueStoreException("queue write failed", true, cause);
    }
  }

  private void enqueueRequest(Request r) {
    closing.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("store is closed");
      }
      requests.add(r);
    } finally {
      closing.readLock().unlock();
    }
  }

  private InputStream openBody(QueueId id) throws IOException {
    synchronized (lock) {
      if (closed) {
        // a reader made now would never be retired, and its channel never closed
        throw new IOException("queue store in " + directory + " is closed");
      }
      Location loc = locations.get(id);
      if (loc == null) {
        throw new IOException("queue entry " + id + " is gone");
      }
      // acquired under the lock: a segment whose reader is in use is never recycled
      return new SegmentInputStream(
          segments.get(loc.bodySegment).reader(), loc.bodyOffset, loc.bodyLength);
    }
  }

  /**
   * The read side of a segment: one channel shared by every stream over its messages (positional
   * reads need no lock), instead of a file opened and closed per delivery. It stays open while a
   * stream uses it, even once the segment is reclaimed, so a reader never loses its bytes. A
   * channel closed under a reader (an interrupted reading thread closes it) is opened again.
   */
  private static final class SegmentReader {
    private final Path path;
    private FileChannel channel; // guarded by this
    private int streams; // guarded by this
    private boolean retired; // guarded by this

    SegmentReader(Path path) {
      this.path = path;
    }

    synchronized FileChannel acquire() throws IOException {
      FileChannel ch = open();
      streams++;
      return ch;
    }

    /**
     * Acquires like {@link #acquire} unless the segment is retired; returns null then. Retiring and
     * the in-use check that decides whether the file may be reused happen under this reader's
     * monitor too, so a stream acquired here keeps its file from reuse.
     */
    synchronized FileChannel acquireUnlessRetired() throws IOException {
      return retired ? null : acquire();
    }

    /** Returns an open channel; {@code stale} is the one a read found closed. */
    synchronized FileChannel reopen(FileChannel stale) throws IOException {
      if (channel == stale) {
        channel = null;
      }
      return open();
    }

    private FileChannel open() throws IOException {
      if (channel == null || !channel.isOpen()) {
        channel = FileChannel.open(path, StandardOpenOption.READ);
      }
      return channel;
    }

    synchronized void release() throws IOException {
      streams--;
      closeIfUnused();
    }

    synchronized boolean inUse() {
      return streams > 0;
    }

    synchronized void retire() {
      retired = true;
      try {
        closeIfUnused();
      } catch (IOException e) {
        // a read-only channel: closing it loses nothing
        LOG.debug("cannot close a queue segment reader for {}", path, e);
      }
    }

    private void closeIfUnused() throws IOException {
      if (retired && streams == 0 && channel != null) {
        channel.close();
        channel = null;
      }
    }
  }

  /** Reads a range of a segment through its shared reader. */
  private static final class SegmentInputStream extends InputStream {
    private final SegmentReader reader;
    private FileChannel channel;
    private long position;
    private final long end;
    private boolean closed;

    SegmentInputStream(SegmentReader reader, long offset, long length) throws IOException {
      this(reader, reader.acquire(), offset, length);
    }

    /** A stream over a channel already acquired from {@code reader}. */
    SegmentInputStream(SegmentReader reader, FileChannel channel, long offset, long length) {
      this.reader = reader;
      this.channel = channel;
      this.position = offset;
      this.end = offset + length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position >= end) {
        return -1;
      }
      int want = (int) Math.min(len, end - position);
      int n;
      try {
        n = channel.read(ByteBuffer.wrap(b, off, want), position);
      } catch (ClosedByInterruptException e) {
        throw e;
      } catch (ClosedChannelException e) {
        // another reader's thread was interrupted and closed the shared channel
        channel = reader.reopen(channel);
        n = channel.read(ByteBuffer.wrap(b, off, want), position);
      }
      if (n < 0) {
        throw new IOException("queue segment is shorter than its index says");
      }
      position += n;
      return n;
    }

    /** Copies in large reads, not the 8 KiB steps of the default. */
    @Override
    public long transferTo(OutputStream out) throws IOException {
      byte[] buf = new byte[(int) Math.max(1, Math.min(end - position, 64 * 1024))];
      long total = 0;
      for (int n; (n = read(buf, 0, buf.length)) > 0; ) {
        out.write(buf, 0, n);
        total += n;
      }
      return total;
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        reader.release();
      }
    }
  }

  // ---------------------------------------------------------------- writer thread

  private void writeLoop() {
    List<Request> batch = new ArrayList<>();
    boolean stop = false;
    try {
      while (!stop) {
        batch.clear();
        try {
          Request first = requests.poll(preallocateAfterIdleMillis, TimeUnit.MILLISECONDS);
          if (first == null) {
            // idle: a request that comes meanwhile waits for one piece and its fsync at most
            preallocate();
            first = requests.take();
          }
          batch.add(first);
        } catch (InterruptedException e) {
          // nobody interrupts this private thread but close(), which sends STOP instead; go on
          continue;
        }
        requests.drainTo(batch, MAX_BATCH);
        stop = batch.remove(STOP);
        if (stop) {
          requests.drainTo(batch);
          batch.remove(STOP);
        }
        if (batch.remove(MAINTAIN)) {
          maintenanceAsked.set(false);
          if (!stop) {
            maintain(); // before the writes that arrived after the changes that asked for it
          }
        }
        writeBatch(batch);
        if (!stop) {
          maintain();
          if (!batch.isEmpty() && bytesPerSync < preallocateBelowBytesPerSync) {
            preallocate(); // small group commits: a latency-bound load, where zeros pay
          }
        }
      }
    } finally {
      toSync.add(Written.STOP);
      boolean interrupted = false;
      while (syncer.isAlive()) {
        try {
          syncer.join();
        } catch (InterruptedException e) {
          interrupted = true; // the syncer ends once it has synced what was written; wait for it
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    for (Request r; (r = requests.poll()) != null; ) {
      r.done.completeExceptionally(new IllegalStateException("store is closed"));
    }
  }

  /** Records written to the head and waiting for the {@code fsync} that makes them durable. */
  private record Written(
      List<Request> batch, long bytes, FileChannel channel, boolean metadata, Path path,
      CompletableFuture<Void> barrier) {
    static final Written STOP = new Written(List.of(), 0, null, false, null, null);
  }

  /**
   * Writes a batch to the head and hands it to the sync thread, which acknowledges it after its
   * {@code fsync}; the writer goes on with the next batch meanwhile, so writing one batch overlaps
   * the {@code fsync} of the one before instead of waiting for it (pipelined group commit). A
   * request is acknowledged only by an {@code fsync} that started after its record was written.
   */
  private void writeBatch(List<Request> batch) {
    if (batch.isEmpty()) {
      return;
    }
    if (journalFailure != null) {
      // nothing more is written after records whose fsync failed; the sync thread fails these
      toSync.add(new Written(List.copyOf(batch), 0, headChannel, false, head.path, null));
      return;
    }
    long start = headPosition;
    List<Request> buffered = new ArrayList<>();
    batchStart = headPosition;
    batchLength = 0;
    for (Request r : batch) {
      try {
        write(r, buffered);
      } catch (IOException | RuntimeException e) {
        r.failure = e;
      }
    }
    flush(buffered);
    boolean cut = false;
    for (Request r : batch) {
      if (r.failure != null) {
        cut = cutAtHead();
        break;
      }
    }
    // Inside the preallocated (zero-written, synced) part of the segment an fsync changes no
    // metadata: fdatasync writes the data blocks only and skips the file system's journal.
    boolean grew = headPosition > preallocatedEnd || cut;
    if (grew) {
      preallocatedEnd = headPosition;
    }
    toSync.add(
        new Written(List.copyOf(batch), headPosition - start, headChannel, grew, head.path, null));
  }

  /**
   * Cuts the head file at the end of the last record written whole, after a write of this batch
   * failed (a full disk, an I/O error, a message that could not be read). What the failure left
   * after the head may hold records that are whole in themselves, and the next, shorter batch may
   * end just where one of them begins: a crash would then replay an entry whose append was reported
   * failed. Truncating frees blocks, so it works on a full disk too; the fsync of this batch, which
   * reports the failure, commits it (with the metadata). A cut that fails fails the journal, as a
   * failed fsync does. Returns whether it cut. Writer thread only.
   */
  private boolean cutAtHead() {
    try {
      if (headChannel.size() <= headPosition) {
        return false;
      }
      headChannel.truncate(headPosition);
      return true;
    } catch (IOException e) {
      // the records after the head cannot be removed: fail the journal as a failed fsync does, so
      // that nothing more is written (and acknowledged) after them; reopening recovers
      synchronized (forcing) {
        if (journalFailure == null) {
          journalFailure = e;
        }
      }
      LOG.error(
          "cannot cut queue journal {} after a failed write: no write is acknowledged any more;"
              + " close and reopen the store",
          head.path,
          e);
      return false;
    }
  }

  /** Writes a batch like {@link #writeBatch} and waits until it is durable. Writer thread only. */
  private void writeBatchAndWait(List<Request> batch) {
    writeBatch(batch);
    for (Request r : batch) {
      r.done.exceptionally(e -> null).join(); // failures are the requests' own
    }
  }

  /**
   * Waits until everything written so far is durable, before the writer closes the head it was
   * written to (a roll). Writer thread only.
   */
  private void awaitSynced() {
    CompletableFuture<Void> barrier = new CompletableFuture<>();
    toSync.add(new Written(List.of(), 0, headChannel, false, head.path, barrier));
    barrier.join();
  }

  /** The sync thread: one {@code fsync} for everything written since the last one. */
  private void syncLoop() {
    List<Written> pending = new ArrayList<>();
    boolean stop = false;
    while (!stop) {
      pending.clear();
      try {
        pending.add(toSync.take());
      } catch (InterruptedException e) {
        continue; // nobody interrupts this private thread; the writer sends STOP to end it
      }
      toSync.drainTo(pending);
      stop = pending.removeIf(w -> w == Written.STOP); // by identity: records compare by value
      sync(pending);
    }
  }

  private void sync(List<Written> pending) {
    Map<FileChannel, Boolean> channels = new LinkedHashMap<>();
    Map<FileChannel, Path> paths = new java.util.HashMap<>();
    long bytes = 0;
    for (Written w : pending) {
      channels.merge(w.channel(), w.metadata(), Boolean::logicalOr);
      paths.put(w.channel(), w.path());
      bytes += w.bytes();
    }
    if (bytes > 0) {
      bytesPerSync = (bytesPerSync * 3 + bytes) / 4; // a moving average over the last few
    }
    QueueStoreException failure = null;
    for (Map.Entry<FileChannel, Boolean> c : channels.entrySet()) {
      try {
        long started = System.nanoTime();
        force(paths.get(c.getKey()), c.getKey(), c.getValue());
        forceNanos += System.nanoTime() - started;
        if (c.getValue()) {
          growingForces++;
        }
        forces++;
      } catch (IOException e) {
        failure = journalFailed();
      }
    }
    boolean released = false;
    // Applied a few records at a time: a group commit of thousands would otherwise hold the lock
    // for milliseconds, and the dispatcher scanning the due entries would queue behind it. Each
    // record applies whole; the callers' futures complete only with the acknowledgements below.
    for (Written w : pending) {
      List<Request> batch = w.batch();
      for (int from = 0; from < batch.size(); from += APPLY_CHUNK) {
        synchronized (lock) {
          for (int i = from, to = Math.min(batch.size(), from + APPLY_CHUNK); i < to; i++) {
            Request r = batch.get(i);
            if (r.failure == null && failure != null) {
              r.failure = failure;
            }
            if (r.failure == null) {
              apply(r);
              released |= r.type == DELETE || r.type == STATE;
            }
          }
        }
      }
    }
    if (released && maintenanceAsked.compareAndSet(false, true)) {
      requests.add(MAINTAIN); // ahead of any write that follows the acknowledgements below
    }
    for (Written w : pending) {
      for (Request r : w.batch()) {
        if (r.failure == null) {
          r.done.complete(null);
        } else {
          r.done.completeExceptionally(
              r.failure instanceof QueueStoreException q
                  ? q
                  : new QueueStoreException(
                      "cannot write to queue journal " + w.path(), true, r.failure));
        }
      }
      if (w.barrier() != null) {
        w.barrier().complete(null);
      }
    }
  }

  /**
   * Adds one record to the batch buffer, which {@link #flush} writes with a single call once it
   * holds {@value #BATCH_BUFFER_LIMIT} bytes (and at the batch's end): a batch of small messages
   * costs a few writes and one {@code fsync}, not two writes per record. A message of unknown or
   * large size is streamed to the journal instead, after what is buffered.
   */
  private void write(Request r, List<Request> buffered) throws IOException {
    byte[] meta =
        r.type == DELETE
            ? r.id.value().getBytes(StandardCharsets.UTF_8)
            : EntryCodec.encode(r.entry);
    long declared = r.type == ENQUEUE ? r.body.size().orElse(-1) : 0;
    if (declared < 0 || declared > BUFFERED_BODY_LIMIT) {
      flush(buffered);
      writeStreamed(r, meta);
      batchStart = headPosition;
      return;
    }
    int recordLength = HEADER + meta.length + (int) declared;
    if (batchLength > 0 && batchLength + recordLength > BATCH_BUFFER_LIMIT) {
      flush(buffered);
    }
    int start = batchLength;
    int bodyAt = start + HEADER + meta.length;
    int end = bodyAt;
    ensureBuffer(bodyAt + (int) declared, start);
    if (r.type == ENQUEUE) {
      BatchSink sink = new BatchSink(bodyAt);
      try (InputStream in = r.body.open()) {
        in.transferTo(sink); // a message in memory: one copy, straight into the direct buffer
      } catch (IOException | RuntimeException e) {
        // nothing of this record reaches the journal; only this request fails
        throw new QueueStoreException("cannot read the message to store", true, e);
      }
      end = sink.end;
    }
    long bodyLength = end - bodyAt;
    CRC32C bodyCrc = new CRC32C();
    bodyCrc.update(batch.duplicate().limit(end).position(bodyAt));
    ByteBuffer record = batch.duplicate().limit(start + HEADER + meta.length).position(start);
    putHeader(record, head.number, r.type, meta, bodyLength, (int) bodyCrc.getValue());
    batchLength = end;
    r.segment = head.number;
    r.offset = batchStart + bodyAt;
    r.bodyLength = bodyLength;
    r.recordSize = HEADER + meta.length + bodyLength;
    buffered.add(r);
  }

  /** Grows the batch buffer to {@code capacity}, keeping its first {@code used} bytes. */
  private void ensureBuffer(int capacity, int used) {
    if (capacity > batch.capacity()) {
      ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(capacity, batch.capacity() * 2));
      bigger.put(0, batch, 0, used);
      batch = bigger;
    }
  }

  /** Writes a message body into the batch buffer from {@code end} on, growing it as needed. */
  private final class BatchSink extends OutputStream {
    int end;

    BatchSink(int start) {
      this.end = start;
    }

    @Override
    public void write(int b) {
      ensureBuffer(end + 1, end);
      batch.put(end++, (byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      Objects.checkFromIndexSize(off, len, b.length);
      ensureBuffer(end + len, end);
      batch.put(end, b, off, len);
      end += len;
    }
  }

  /**
   * Writes the batch buffer at the head; on failure its requests fail and the head stays, so the
   * next records overwrite whatever part reached the file.
   */
  private void flush(List<Request> buffered) {
    if (batchLength > 0) {
      try {
        writeFully(headChannel, batch.duplicate().limit(batchLength).position(0), batchStart);
        headPosition = batchStart + batchLength;
      } catch (IOException e) {
        for (Request r : buffered) {
          r.failure = e;
        }
      }
    }
    buffered.clear();
    batchStart = headPosition;
    batchLength = 0;
    if (batch.capacity() > BATCH_BUFFER_KEEP) {
      batch = ByteBuffer.allocateDirect(BATCH_BUFFER_LIMIT); // one huge message does not pin it
    }
  }

  /** Streams one record to the head. Headers go last, so a record torn before the end has none. */
  private void writeStreamed(Request r, byte[] meta) throws IOException {
    long start = headPosition;
    long bodyStart = start + HEADER + meta.length;
    CRC32C bodyCrc = new CRC32C();
    long bodyLength = 0;
    if (r.type == ENQUEUE) {
      try {
        bodyLength = writeBody(r.body, bodyStart, bodyCrc);
      } catch (IOException | RuntimeException e) {
        // The body stream failed part-way: cover what was written with padding so a reader never
        // parses it, and fail only this request.
        long written = Math.max(0, partialEnd - bodyStart);
        writeRecord(start, PAD, meta, written, 0);
        headPosition = bodyStart + written;
        throw new QueueStoreException("cannot read the message to store", true, e);
      }
    }
    writeRecord(start, r.type, meta, bodyLength, (int) bodyCrc.getValue());
    headPosition = bodyStart + bodyLength;
    r.segment = head.number;
    r.offset = bodyStart;
    r.bodyLength = bodyLength;
    r.recordSize = HEADER + meta.length + bodyLength;
  }

  /**
   * Records of one batch, written {@value #BATCH_BUFFER_LIMIT} bytes per call at most. Direct: the
   * channel writes it as it is, where a heap buffer would first be copied to a temporary direct
   * one on every write.
   */
  private ByteBuffer batch = ByteBuffer.allocateDirect(BATCH_BUFFER_LIMIT);
  private int batchLength;
  private long batchStart; // journal position of the batch buffer's first byte
  private long partialEnd;
  private long preallocatedEnd;
  private volatile long forces;
  private long forceNanos; // sync thread only, for the log line at close
  private long growingForces;
  private volatile long recycled; // written by the writer thread only


  /** Returns how many reclaimed segment files were kept for reuse instead of deleted. */
  long recycledSegments() {
    return recycled;
  }

  /**
   * Returns how many times the journal was forced to disk: fewer than writes under group commit.
   */
  long forces() {
    return forces;
  }

  private long writeBody(Content body, long at, CRC32C crc) throws IOException {
    partialEnd = at;
    if (body.isInMemory()) {
      byte[] bytes = body.readAllBytes();
      crc.update(bytes);
      writeFully(headChannel, ByteBuffer.wrap(bytes), at);
      partialEnd = at + bytes.length;
      return bytes.length;
    }
    long pos = at;
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = body.open()) {
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
        writeFully(headChannel, ByteBuffer.wrap(buf, 0, n), pos);
        pos += n;
        partialEnd = pos;
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return pos - at;
  }

  private void writeRecord(long start, byte type, byte[] meta, long bodyLength, int bodyCrc)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(HEADER + meta.length);
    putHeader(buf, head.number, type, meta, bodyLength, bodyCrc);
    buf.flip();
    writeFully(headChannel, buf, start);
  }

  /** Puts a record's header and meta data at the buffer's position, for segment {@code segment}. */
  private static void putHeader(
      ByteBuffer buf, long segment, byte type, byte[] meta, long bodyLength, int bodyCrc) {
    buf.putInt(MAGIC).put(type).putInt(meta.length).putLong(bodyLength);
    buf.putInt(metaCrc(segment, type, meta.length, bodyLength, bodyCrc, meta));
    buf.putInt(bodyCrc).put(meta);
  }

  /**
   * The CRC over a record's header fields and meta data. Format 2 binds it to the segment's number
   * ({@code segment}; {@link #NO_SEGMENT} for format 1), so the records a recycled file held in its
   * earlier life never check out in its new one.
   */
  static int metaCrc(
      long segment, byte type, int metaLength, long bodyLength, int bodyCrc, byte[] meta) {
    CRC32C crc = new CRC32C();
    ByteBuffer fields = ByteBuffer.allocate(25);
    if (segment != NO_SEGMENT) {
      fields.putLong(segment);
    }
    fields.put(type).putInt(metaLength).putLong(bodyLength).putInt(bodyCrc).flip();
    crc.update(fields);
    crc.update(meta, 0, metaLength);
    return (int) crc.getValue();
  }

  private static final long NO_SEGMENT = -1;

  private static void writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    long p = pos;
    while (buf.hasRemaining()) {
      p += ch.write(buf, p);
    }
  }

  /** Applies an acknowledged (or replayed) record to the index. Caller holds {@link #lock}. */
  private void apply(Request r) {
    Segment seg = segments.get(r.segment);
    seg.size = Math.max(seg.size, r.offset + r.bodyLength);
    switch (r.type) {
      case ENQUEUE -> {
        release(r.id);
        Location loc = new Location();
        loc.bodySegment = r.segment;
        loc.bodyOffset = r.offset;
        loc.bodyLength = r.bodyLength;
        loc.stateSegment = r.segment;
        loc.stateSize = r.recordSize - r.bodyLength;
        seg.refs += 2;
        seg.liveBytes += r.recordSize;
        locations.put(r.id, loc);
        index.put(r.entry);
        keepRecent(r);
      }
      case STATE -> {
        Location loc = locations.get(r.id);
        if (loc == null) {
          return; // replay: the entry's segment was reclaimed after it was deleted
        }
        Segment bodies = segments.get(loc.bodySegment);
        if (bodies != null) {
          bodies.mayHaveMovable = true; // attempted now: its body there is worth copying
        }
        Segment old = segments.get(loc.stateSegment);
        old.refs--;
        old.liveBytes -= loc.stateSize;
        loc.stateSegment = r.segment;
        loc.stateSize = r.recordSize;
        seg.refs++;
        seg.liveBytes += r.recordSize;
        index.put(r.entry);
        forgetRecent(r.id); // attempted: a retry, minutes later, reads the journal
      }
      case DELETE -> {
        release(r.id);
        locations.remove(r.id);
        index.remove(r.id);
        forgetRecent(r.id);
      }
      default -> {
        // PAD records carry nothing
      }
    }
  }

  /**
   * Keeps the bytes of a small message just made durable, when the caller handed them over in
   * memory (immutable: {@link Content} copies), for its first {@link #message} read: the delivery
   * that usually follows at once then needs no read of the journal. Bounded in bytes; once full, a
   * new message is not kept until deliveries have taken earlier ones. Dropping the oldest instead
   * would keep exactly the wrong ones under a backlog: delivery takes the oldest first, so every
   * message would be dropped before its delivery came and each one read from the journal. But
   * bytes kept while four times the bound of later messages came (64 MiB) are dropped when room is
   * needed: their delivery is held back (a domain at its rate limit, say), and they
   * would otherwise keep the newer messages out for as long. Caller holds {@link #lock}.
   */
  private void keepRecent(Request r) {
    forgetRecent(r.id); // bytes kept for an earlier append of this id are not this entry's
    if (r.body == null || !r.body.isInMemory() || r.bodyLength > RECENT_MESSAGE_LIMIT) {
      return; // replayed, relocated, streamed or large: read from the journal
    }
    long offered = offeredBytes;
    offeredBytes += r.bodyLength;
    var oldest = recent.values().iterator();
    while (recentBytes + r.bodyLength > RECENT_BYTES_LIMIT && oldest.hasNext()) {
      Kept k = oldest.next();
      if (offered - k.offeredBefore() <= RECENT_STALE_AFTER_BYTES) {
        return; // full of bytes whose turn is near: this one is read from the journal
      }
      oldest.remove();
      recentBytes -= k.length();
    }
    recent.put(r.id, new Kept(r.body, r.bodyLength, offered));
    recentBytes += r.bodyLength;
  }

  /**
   * Drops an entry's bytes from the recent ones; returns them, or null when none were kept. Caller
   * holds {@link #lock}.
   */
  private Content forgetRecent(QueueId id) {
    Kept k = recent.remove(id);
    if (k == null) {
      return null;
    }
    recentBytes -= k.length();
    return k.body();
  }

  private void release(QueueId id) {
    Location loc = locations.get(id);
    if (loc == null) {
      return;
    }
    Segment b = segments.get(loc.bodySegment);
    b.refs--;
    b.liveBytes -= loc.bodyLength;
    Segment s = segments.get(loc.stateSegment);
    s.refs--;
    s.liveBytes -= loc.stateSize;
  }

  /** Rolls the head when full, then reclaims old segments in order. Writer thread only. */
  private void maintain() {
    if (journalFailure != null) {
      return; // every fsync fails from here on: nothing is rolled, copied or reclaimed
    }
    try {
      if (headPosition >= segmentBytes) {
        roll();
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "cannot roll the queue journal in {}; the head grows until a roll succeeds",
          directory,
          e);
    }
    try {
      reclaim();
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "queue journal maintenance failed in {}; will retry after the next write", directory, e);
    }
  }

  /**
   * Keeps zero-written, synced space ahead of the head while the writer is idle, so the group
   * commits that follow overwrite allocated blocks in place instead of growing the file (each
   * growth costs a metadata journal commit). Zeros are written for real: a sparse {@code setLength} or
   * unwritten extents would still need metadata on the first write. Writer thread only, once it
   * has been idle for {@value #PREALLOCATE_AFTER_IDLE_MILLIS} ms or in a pause of a load of small
   * group commits, in pieces, and only while no request waits: under a bulk load a group commit is
   * large enough to carry its metadata commit, and zeros written in the pauses between them would
   * only double the bytes per message and stall the writes waiting behind them. A segment written
   * while the queue grows under load therefore grows with its group commits; once the queue drains, its files are reused
   * ({@link #recycle}), allocated already.
   */
  private void preallocate() {
    if (journalFailure != null) {
      return;
    }
    long chunk = preallocateChunk();
    if (preallocatedEnd - headPosition >= chunk / 2 || preallocatedEnd >= segmentBytes) {
      return;
    }
    long from = Math.max(preallocatedEnd, headPosition);
    long to = Math.min(from + chunk, segmentBytes);
    try {
      long done = from;
      while (done < to && requests.isEmpty()) {
        long next = Math.min(done + PREALLOCATE_PIECE, to);
        writeZeros(headChannel, done, next);
        done = next;
      }
      if (done > from) {
        force(head.path, headChannel, true);
        preallocatedEnd = done;
      }
    } catch (IOException e) {
      // Only speed depends on the zeros (later batches grow the file instead), but a failed
      // fsync here fails the journal: it may have been the report for records not yet synced.
      LOG.warn("cannot preallocate queue journal {}", head.path, e);
    }
  }

  private static void writeZeros(FileChannel ch, long from, long to) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocate((int) Math.max(1, Math.min(to - from, 1 << 20)));
    for (long pos = from; pos < to; ) {
      zeros.clear();
      zeros.limit((int) Math.min(zeros.capacity(), to - pos));
      pos += ch.write(zeros, pos);
    }
  }

  private long preallocateChunk() {
    return Math.max(64 << 10, Math.min(PREALLOCATE_CHUNK, segmentBytes / 4));
  }

  private void roll() throws IOException {
    long number = head.number + 1;
    Path path = segmentPath(number);
    // First the old head is made whole: its last batches synced (they are acknowledged by its own
    // fsync) and anything after its last record cut off. Only then does the next segment appear,
    // so a segment that is not the last one never holds unsynced records (recovery checks message
    // bytes only in the last segment, and a reused file's old bytes lie under every record).
    awaitSynced();
    if (headChannel.size() > headPosition) {
      // a reused file longer than what this life wrote (its earlier life's records would not
      // check out, but a reopen would report them as damage)
      headChannel.truncate(headPosition);
      force(head.path, headChannel, true);
    }
    Optional<Path> ready = Optional.ofNullable(reusable.poll());
    FileChannel ch = null;
    long allocated;
    try {
      if (ready.isPresent()) {
        Files.move(ready.get(), path, StandardCopyOption.ATOMIC_MOVE);
      }
      // CREATE, not CREATE_NEW: a file left by a roll whose clean-up failed is taken over (what
      // such a file holds never checks out as this segment's records)
      ch =
          FileChannel.open(
              path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      allocated = ch.size();
      syncDirectory();
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        closeQuietly(ch);
      }
      try {
        if (ready.isPresent()) {
          Files.deleteIfExists(ready.get()); // not moved: drop it rather than lose track of it
        }
        // Moved or made but not opened: the writer goes on in the old head, so the new file must
        // not outlive this failure. A reopen would take it for the last segment and no longer
        // check the message bytes of the old head's tail, which a crash may have torn.
        if (Files.deleteIfExists(path)) {
          syncDirectory();
        }
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    headChannel.close();
    Segment seg = new Segment(number, path, true);
    synchronized (lock) {
      segments.put(number, seg);
    }
    head = seg;
    headChannel = ch;
    headPosition = 0;
    preallocatedEnd = allocated;
    LOG.debug(
        "queue journal rolled to {} ({})",
        path.getFileName(),
        allocated > 0 ? "preallocated or reused" : "growing");
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // the failure that made us close it is reported; a channel failing to close holds nothing
      LOG.debug("cannot close a queue journal channel", e);
    }
  }


  /** Deletes the segment files kept for reuse: they are not kept across a close. */
  private void dropReusable() {
    try {
      for (Path p; (p = reusable.poll()) != null; ) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // harmless: the next open deletes them before anything else
      LOG.warn("cannot delete the journal segment files kept for reuse in {}", directory, e);
    }
  }

  private void reclaim() throws IOException {
    if (undeleted != null) {
      deleteSegmentFile(undeleted);
    }
    while (true) {
      Segment oldest;
      boolean relocate;
      synchronized (lock) {
        oldest = segments.firstEntry().getValue();
        if (oldest == head) {
          return;
        }
        relocate = oldest.refs > 0;
        if (relocate
            && (!oldest.mayHaveMovable
                || oldest.liveBytes > RELOCATE_BELOW_LIVE_FRACTION * Math.max(1, oldest.size))) {
          return;
        }
      }
      if (relocate) {
        relocateFrom(oldest);
        synchronized (lock) {
          if (oldest.refs > 0) {
            // what is left waits for its first attempt: deleted soon, not worth copying
            oldest.mayHaveMovable = false;
            LOG.debug(
                "queue segment {} keeps {} records of entries not yet attempted",
                oldest.path,
                oldest.refs);
            return;
          }
        }
      }
      boolean recycle;
      synchronized (lock) {
        segments.remove(oldest.number);
        oldest.retire();
        // no stream can open it any more: streams open under the lock through the segment map, or
        // through a reader that refuses once retired
        recycle =
            oldest.recyclable
                && reusable.size() < MAX_REUSABLE
                && oldest.size <= 2 * segmentBytes // one huge message does not pin its space
                && !oldest.inUse()
                && !closed;
      }
      if (recycle && recycle(oldest)) {
        continue;
      }
      // outside the lock: unlinking a large file (with online discard) takes tens of milliseconds
      deleteSegmentFile(oldest.path);
      LOG.debug("queue journal segment {} reclaimed", oldest.path.getFileName());
    }
  }

  /**
   * Deletes a reclaimed segment's file, durably, before any later segment is reclaimed: a later
   * segment may hold the deletions of this one's entries, and with those gone a file of this one
   * left behind would bring its entries back at the next open. A file that cannot be deleted is
   * tried again at the start of every later reclamation, which reclaims nothing else until then.
   * Writer thread only (or recovery).
   */
  private void deleteSegmentFile(Path path) throws IOException {
    undeleted = path;
    Files.deleteIfExists(path);
    syncDirectory();
    undeleted = null;
  }

  /**
   * Keeps a reclaimed segment's file for a next roll to start on (up to {@value #MAX_REUSABLE}
   * kept): its blocks are
   * allocated and written, so the group commits in it change no file-system metadata, as in a
   * zero-written file, without writing the zeros (which would double the bytes per message on the
   * disk). Its old records stay in it but never check out again: their CRCs are bound to the old
   * segment number. Writer thread only (or recovery, before it starts). Returns false when the file
   * cannot be moved; it is then deleted as usual.
   */
  private boolean recycle(Segment seg) {
    Path to = directory.resolve("spare-segment-" + seg.number + ".tmp");
    try {
      Files.move(seg.path, to, StandardCopyOption.ATOMIC_MOVE);
      syncDirectory();
    } catch (IOException e) {
      LOG.debug("cannot recycle queue segment {}; deleting it", seg.path, e);
      return false;
    }
    reusable.add(to);
    recycled++;
    LOG.debug("queue journal segment {} reclaimed for reuse", seg.path.getFileName());
    return true;
  }

  /**
   * Copies the live entries of {@code seg} that were deferred at least once to the head (bytes and
   * current state), durably, and the current states kept in it. Entries not yet attempted stay: they
   * are about to be delivered, and copying a backlog would only double the writes.
   */
  private void relocateFrom(Segment seg) {
    // First everything written so far is applied: the index would otherwise still show an entry
    // whose deletion (or newer state) waits for its fsync, and the copy would bring the entry back,
    // or its older state, after that record, in the journal too. Only this thread writes, so
    // nothing newer can be written before the copies.
    awaitSynced();
    List<Request> moves = new ArrayList<>();
    synchronized (lock) {
      for (Map.Entry<QueueId, Location> e : locations.entrySet()) {
        Location loc = e.getValue();
        QueueEntry entry = index.get(e.getKey()).orElseThrow();
        if (loc.bodySegment == seg.number) {
          if (entry.attempts() == 0) {
            continue;
          }
          QueueId id = e.getKey();
          long length = loc.bodyLength;
          SegmentReader reader = seg.reader();
          long offset = loc.bodyOffset;
          Content body =
              Content.ofSource(() -> new SegmentInputStream(reader, offset, length), length);
          moves.add(new Request(ENQUEUE, entry, id, body));
        } else if (loc.stateSegment == seg.number) {
          moves.add(new Request(STATE, entry, e.getKey(), null));
        }
      }
      relocationScans++;
    }
    LOG.debug(
        "queue journal relocating {} live records from {}", moves.size(), seg.path.getFileName());
    writeBatchAndWait(moves);
  }

  private void syncDirectory() throws IOException {
    syncDirectory(directory);
  }

  private void syncDirectory(Path path) throws IOException {
    try (FileChannel dir = FileChannel.open(path, StandardOpenOption.READ)) {
      force(path, dir, true);
    }
  }

  /**
   * Creates the queue directory and its missing parents, each made durable in its parent: a new
   * directory's entry is written with its parent, and an {@code fsync} of the directory itself
   * does not write it (POSIX; on ext4 with fast commits, or btrfs, it is not written with it
   * either). The queue would otherwise vanish with what was acknowledged in it, at a power loss.
   */
  private void createDirectories(Path path) throws IOException {
    List<Path> made = new ArrayList<>();
    for (Path p = path.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
      made.add(p);
    }
    Files.createDirectories(path);
    for (int i = made.size() - 1; i >= 0; i--) { // outermost first
      syncDirectory(made.get(i).getParent());
    }
  }

  /**
   * Forces a journal file (or the directory) to disk. A failed {@code fsync} is final for this
   * store: Linux may drop the dirty pages it could not write (marked clean, never retried) and
   * report the error once, so a later {@code fsync} of the same file succeeds although records
   * written before it never reach the disk. Trusting it would acknowledge records that sit behind
   * a hole where recovery stops, and are then lost. So every force after a failure fails too,
   * every write from then on fails, and reopening the store (recovery reads what the disk holds)
   * is the way back. Forces are serialized: a force that failed has recorded it before the next
   * one starts, so none succeeds on an error that another one took.
   */
  private void force(Path path, FileChannel channel, boolean metaData) throws IOException {
    synchronized (forcing) {
      if (journalFailure != null) {
        throw new IOException("an earlier fsync of the queue journal failed", journalFailure);
      }
      try {
        fsync.force(path, channel, metaData);
      } catch (IOException e) {
        journalFailure = e;
        LOG.error(
            "fsync failed in queue directory {}: no write is acknowledged any more; close and"
                + " reopen the store",
            directory,
            e);
        throw e;
      }
    }
  }

  private QueueStoreException journalFailed() {
    return new QueueStoreException(
        "queue journal in "
            + directory
            + " could not be synced to disk; the store takes no more writes: close and reopen it",
        false,
        journalFailure);
  }

  private Path segmentPath(long number) {
    return directory.resolve(String.format("journal-%016d.log", number));
  }

  // ---------------------------------------------------------------- recovery

  private void recover() throws IOException {
    // files kept for reuse are not kept across a close (nor the spare segment that earlier builds
    // wrote ahead in the background): made again when needed
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, "spare-segment*.tmp")) {
      for (Path p : ds) {
        Files.deleteIfExists(p);
      }
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, "journal-*.log")) {
      ds.forEach(files::add);
    }
    files.sort(null);
    for (int i = 0; i < files.size(); i++) {
      Path path = files.get(i);
      String name = path.getFileName().toString();
      long number;
      try {
        number =
            Long.parseLong(name.substring("journal-".length(), name.length() - ".log".length()));
      } catch (NumberFormatException e) {
        // not a segment this store wrote, and perhaps holding entries: neither replayed nor lost
        throw new QueueStoreException(
            "queue directory " + directory + " holds " + name + ", not a journal segment name;"
                + " move it out of the directory",
            false,
            e);
      }
      Segment seg = new Segment(number, path, false); // reusable once replayed as format 2 only
      segments.put(number, seg);
      boolean last = i == files.size() - 1;
      long end = replay(seg, last);
      if (last) {
        head = seg;
        headChannel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long size = headChannel.size();
        long dirty = lastNonZero(headChannel, end, size);
        if (dirty > end) {
          // Overwrite rather than truncate: the zeros after it stay preallocated, and no stale
          // record can follow the records written from here on.
          LOG.info(
              "queue journal {}: cleared {} bytes after the last record (unacknowledged writes"
                  + " cut off by a crash, or the earlier life of a recycled segment)",
              name,
              dirty - end);
          writeZeros(headChannel, end, dirty);
          force(head.path, headChannel, true);
        }
        headPosition = end;
        preallocatedEnd = size;
      }
    }
    if (head == null) {
      Path path = segmentPath(1);
      head = new Segment(1, path, true);
      segments.put(1L, head);
      headChannel =
          FileChannel.open(
              path,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      syncDirectory();
      headPosition = 0;
    }
    LOG.info(
        "queue opened in {}: {} entries in {} journal segments",
        directory,
        index.size(),
        segments.size());
    reclaim();
  }

  /** Replays one segment into the index; returns the end of its last valid record. */
  private long replay(Segment seg, boolean last) throws IOException {
    try (FileChannel ch = FileChannel.open(seg.path, StandardOpenOption.READ)) {
      long size = ch.size();
      long pos = 0;
      boolean formatOne = false;
      ByteBuffer header = ByteBuffer.allocate(HEADER);
      while (pos + HEADER <= size) {
        header.clear();
        readFully(ch, header, pos);
        header.flip();
        int magic = header.getInt();
        byte type = header.get();
        int metaLength = header.getInt();
        long bodyLength = header.getLong();
        int storedMetaCrc = header.getInt();
        int bodyCrc = header.getInt();
        if (pos == 0 && (magic & 0xFFFFFF00) == (MAGIC & 0xFFFFFF00) && magic != MAGIC
            && magic != MAGIC_V1) {
          // A segment starts with a record of the format that wrote it (the first record of a
          // reused file's earlier life has this format's magic too): an unknown format here was
          // written by a newer mailcore. Stop rather than read it as a torn tail and zero it.
          throw new QueueStoreException(
              "queue journal "
                  + seg.path
                  + " was written in a newer journal format (version "
                  + (char) (magic & 0xFF)
                  + "); open it with the mailcore version that wrote it",
              false,
              null);
        }
        if ((magic != MAGIC && magic != MAGIC_V1)
            || type < ENQUEUE
            || type > PAD
            || metaLength < 0
            || metaLength > MAX_META
            || bodyLength < 0
            // compared by what is left, not by pos + lengths: a huge length would overflow that
            || metaLength > size - pos - HEADER
            || bodyLength > size - pos - HEADER - metaLength) {
          break;
        }
        ByteBuffer metaBuf = ByteBuffer.allocate(metaLength);
        readFully(ch, metaBuf, pos + HEADER);
        byte[] meta = metaBuf.array();
        long bound = magic == MAGIC ? seg.number : NO_SEGMENT;
        formatOne |= magic == MAGIC_V1;
        if (metaCrc(bound, type, metaLength, bodyLength, bodyCrc, meta) != storedMetaCrc) {
          break;
        }
        long bodyStart = pos + HEADER + metaLength;
        if (last && type == ENQUEUE && !bodyMatches(ch, bodyStart, bodyLength, bodyCrc)) {
          break;
        }
        Request r;
        try {
          r = decode(type, meta);
        } catch (IOException e) {
          // Whole (its CRC checks out) but not readable here: written by a newer mailcore, say.
          // Skipped, its entry would be lost for good once its segment is reclaimed; nothing has
          // been changed on disk yet, so refuse to open instead.
          throw new QueueStoreException(
              "queue journal "
                  + seg.path
                  + " holds a record at offset "
                  + pos
                  + " that this version cannot read ("
                  + e.getMessage()
                  + "); open it with the mailcore version that wrote it",
              false,
              e);
        }
        r.segment = seg.number;
        r.offset = bodyStart;
        r.bodyLength = type == ENQUEUE ? bodyLength : 0;
        r.recordSize = HEADER + metaLength + r.bodyLength;
        apply(r);
        pos = bodyStart + bodyLength;
      }
      seg.size = pos;
      // a segment of format 2 only may be reused once it is reclaimed; one holding format 1
      // records never is (its records do not name their segment)
      seg.recyclable = !formatOne;
      if (!last && lastNonZero(ch, pos, size) > pos) {
        LOG.warn(
            "queue journal {} is damaged at offset {}: {} bytes skipped; entries there are lost",
            seg.path,
            pos,
            size - pos);
      }
      return pos;
    }
  }

  /**
   * Returns the end of the last non-zero byte in {@code [from, to)}, or {@code from} when the range
   * is all zeros (the preallocated tail of a segment).
   */
  private static long lastNonZero(FileChannel ch, long from, long to) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long last = from;
    for (long pos = from; pos < to; ) {
      buf.clear();
      buf.limit((int) Math.min(buf.capacity(), to - pos));
      int n = ch.read(buf, pos);
      if (n <= 0) {
        break;
      }
      for (int i = n - 1; i >= 0; i--) {
        if (buf.get(i) != 0) {
          last = pos + i + 1;
          break;
        }
      }
      pos += n;
    }
    return last;
  }

  private static Request decode(byte type, byte[] meta) throws IOException {
    return switch (type) {
      case ENQUEUE, STATE -> {
        QueueEntry e = EntryCodec.decode(meta);
        yield new Request(type, e, e.id(), null);
      }
      case DELETE -> {
        try {
          yield new Request(
              DELETE, null, new QueueId(new String(meta, StandardCharsets.UTF_8)), null);
        } catch (IllegalArgumentException x) {
          throw new IOException("bad queue id in delete record", x);
        }
      }
      default -> new Request(PAD, null, null, null);
    };
  }

  private static boolean bodyMatches(FileChannel ch, long start, long length, int expected)
      throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long pos = start;
    long end = start + length;
    while (pos < end) {
      buf.clear();
      buf.limit((int) Math.min(buf.capacity(), end - pos));
      int n = ch.read(buf, pos);
      if (n <= 0) {
        return false;
      }
      buf.flip();
      crc.update(buf);
      pos += n;
    }
    return (int) crc.getValue() == expected;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    long p = pos;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, p);
      if (n < 0) {
        throw new IOException("unexpected end of queue segment");
      }
      p += n;
    }
  }
}
