package dev.mailcore.smtp.queue;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileQueueStoreTest extends QueueStoreContract {

  @TempDir Path dir;

  @Override
  QueueStore open() {
    return FileQueueStore.open(dir);
  }

  QueueStore reopen() {
    store.close();
    store = FileQueueStore.open(dir);
    return store;
  }

  /**
   * Opens a store on {@link #dir} whose fsyncs go through {@code fsync} (the kernel's, with faults a
   * test puts in); zeros are written ahead only once idle for {@code idleMillis}.
   */
  FileQueueStore openWithFsync(long idleMillis, FileQueueStore.Fsync fsync) {
    return FileQueueStore.open(dir, 64L << 20, idleMillis, 0, fsync);
  }

  List<Path> segments() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("journal-")).sorted().toList();
    }
  }

  static String body(int i, int size) {
    StringBuilder b = new StringBuilder("Subject: m" + i + "\r\n\r\n");
    while (b.length() < size) {
      b.append("line of message ").append(i).append("\r\n");
    }
    return b.toString();
  }

  @Test
  void reopenRestoresEveryAcknowledgedEntryWithItsLastState() {
    QueueEntry a = entry("a1", T0);
    QueueEntry b = entry("b2", T0);
    store.append(a, bytes("message a"));
    store.append(b, bytes("message b"));
    QueueEntry aLater = deferBob(a, T0.plusSeconds(1), T0.plusSeconds(301));
    store.update(aLater);
    store.delete(b.id());

    reopen();

    assertThat(store.entries()).containsExactly(aLater);
    assertThat(store.message(a.id()).readAllBytes())
        .isEqualTo("message a".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void keepsTheEarliestBodiesInMemoryForTheirFirstReadWhenABacklogOutgrowsTheBound() {
    // 100 x 200 KB: more than the 16 MiB kept in memory. Delivery takes the oldest first, so the
    // first ones must be the ones kept; the last ones are read from the journal.
    List<QueueEntry> entries = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      QueueEntry e = entry("m" + i, T0);
      store.append(e, bytes(body(i, 200 << 10)));
      entries.add(e);
    }

    Content first = store.message(entries.get(0).id());
    Content last = store.message(entries.get(99).id());

    assertThat(first.isInMemory()).isTrue();
    assertThat(last.isInMemory()).isFalse();
    assertThat(first.readAllBytes()).isEqualTo(body(0, 200 << 10).getBytes(UTF_8));
    assertThat(last.readAllBytes()).isEqualTo(body(99, 200 << 10).getBytes(UTF_8));
    // the first read took it: a retry reads the journal
    assertThat(store.message(entries.get(0).id()).isInMemory()).isFalse();
    // the reads made room again: the next message is kept
    QueueEntry next = entry("m100", T0);
    store.append(next, bytes(body(100, 200 << 10)));
    assertThat(store.message(next.id()).isInMemory()).isTrue();
  }

  @Test
  void dropsBodiesKeptInMemoryWhoseDeliveryIsHeldBackOnceMuchLaterMailCame() {
    // nothing is read: the first 81 messages of 200 KB fill the 16 MiB bound and keep the later
    // ones out while fewer than 64 MiB came after them (327 messages); then each later one takes
    // the room of the oldest kept, until the oldest kept is one of those, 81 later
    List<QueueId> ids = new ArrayList<>();
    for (int i = 0; i < 420; i++) {
      QueueEntry e = entry("h" + i, T0);
      store.append(e, bytes(body(i, 200 << 10)));
      ids.add(e.id());
    }

    assertThat(store.message(ids.get(0)).isInMemory()).isFalse(); // dropped, stale
    assertThat(store.message(ids.get(81)).isInMemory()).isFalse(); // never kept: it was full
    assertThat(store.message(ids.get(200)).isInMemory()).isFalse();
    Content later = store.message(ids.get(400));
    assertThat(later.isInMemory()).isTrue(); // took the room of a stale one
    assertThat(later.readAllBytes()).isEqualTo(body(400, 200 << 10).getBytes(UTF_8));
    assertThat(store.message(ids.get(419)).isInMemory()).isFalse(); // full of recent ones again
  }

  @Test
  void cutsOffARecordTornByACrashAndKeepsTheOldState() throws Exception {
    QueueEntry a = entry("a1", T0);
    store.append(a, bytes("message a"));
    store.update(deferBob(a, T0.plusSeconds(1), T0.plusSeconds(301)));
    store.close();
    Path last = segments().get(segments().size() - 1);
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 7); // the state record lost its tail
    }

    store = FileQueueStore.open(dir);

    assertThat(store.entries()).containsExactly(a);
    QueueEntry b = entry("b2", T0);
    store.append(b, bytes("after recovery"));
    reopen();
    assertThat(store.entries()).containsExactly(a, b);
  }

  @Test
  void discardsAnEntryWhoseBytesWereNotAllWritten() throws Exception {
    store.append(entry("a1", T0), bytes("message a"));
    store.append(entry("b2", T0), bytes(body(2, 2000)));
    store.close();
    Path last = segments().get(segments().size() - 1);
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
      ch.write(
          ByteBuffer.wrap(new byte[] {'X'}),
          ch.size() - 100); // a page of b2 never reached the disk
      ch.write(ByteBuffer.wrap(new byte[64]), ch.size()); // and zeros after the end
    }

    store = FileQueueStore.open(dir);

    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("a1");
  }

  @Test
  void refusesASecondStoreOnTheSameDirectory() {
    assertThatThrownBy(() -> FileQueueStore.open(dir))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("in use");
  }

  @Test
  void releasesTheDirectoryLockWhenClosingFails() throws Exception {
    store.close();
    java.util.concurrent.atomic.AtomicBoolean failHere =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.CountDownLatch zeroed = new java.util.concurrent.CountDownLatch(1);
    Thread closing = Thread.currentThread();
    store =
        openWithFsync(
            20,
            (path, ch, metaData) -> {
              if (failHere.get() && Thread.currentThread() == closing) {
                throw new IOException("Input/output error"); // close's fsync of the cut zeros
              }
              ch.force(metaData);
              if (Thread.currentThread().getName().equals("mailcore-queue-journal")) {
                zeroed.countDown(); // the writer wrote zeros ahead, which close cuts off
              }
            });
    store.append(entry("a1", T0), bytes("message a"));
    assertThat(zeroed.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    failHere.set(true);

    assertThatThrownBy(store::close).isInstanceOf(QueueStoreException.class);

    store = FileQueueStore.open(dir);
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("a1");
  }

  @Test
  void refusesToOpenADirectoryWithAFileNamedLikeASegmentWithoutItsNumber() throws Exception {
    store.append(entry("a1", T0), bytes("message a"));
    store.close();
    Path stray = dir.resolve("journal-copy.log");
    Files.copy(segments().get(0), stray);

    assertThatThrownBy(() -> FileQueueStore.open(dir))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("journal-copy.log");
    Files.delete(stray);
    store = FileQueueStore.open(dir);
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("a1");
  }

  @Test
  void makesANewQueueDirectoryDurableInItsParent() throws Exception {
    List<Path> forced = java.util.Collections.synchronizedList(new ArrayList<>());
    Path queue = dir.resolve("spool").resolve("queue");
    try (FileQueueStore fresh =
        FileQueueStore.open(
            queue,
            64L << 20,
            60_000,
            0,
            (path, ch, metaData) -> {
              forced.add(path);
              ch.force(metaData);
            })) {
      fresh.append(entry("a1", T0), bytes("message a"));
    }

    assertThat(forced)
        .as("each new directory is synced in its parent, before the first entry")
        .startsWith(dir, dir.resolve("spool"))
        .contains(queue);
  }

  @Test
  void closedStoreRefusesWrites() {
    store.close();
    assertThatThrownBy(() -> store.append(entry("a1", T0), bytes("x")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void deletesSegmentsOnceNothingInThemIsLive() throws Exception {
    store.close();
    store = FileQueueStore.open(dir, 4096);
    List<QueueEntry> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      QueueEntry e = entry("m" + i, T0);
      store.append(e, bytes(body(i, 1000)));
      all.add(e);
    }
    assertThat(segments()).hasSizeGreaterThan(3);

    for (QueueEntry e : all) {
      store.delete(e.id());
    }
    store.append(
        entry("last", T0), bytes("x")); // a write after the deletes lets the writer reclaim

    assertThat(segments()).hasSizeLessThanOrEqualTo(2);
    reopen();
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("last");
  }

  @Test
  void reclaimsNoLaterSegmentWhileAnEarlierOnesFileCouldNotBeDeleted() throws Exception {
    store.close();
    store = FileQueueStore.open(dir, 8192);
    QueueId first = new QueueId("first");
    store.append(entry("first", T0), bytes(body(0, 9000))); // alone in the first segment
    store.append(entry("y0", T0), bytes("rolls to the second segment"));
    Path firstFile = segments().get(0);
    store.message(first).readAllBytes(); // the bytes kept in memory: the next read is the file's
    java.io.InputStream reading = store.message(first).open(); // so the file is not reused
    // its deletion will fail (a real unlink error, as EIO or EPERM would give): a non-empty
    // directory stands in its place, the file itself is kept aside, as the failed unlink leaves it
    Path aside = dir.resolve("aside");
    Files.move(firstFile, aside);
    Files.createDirectories(firstFile).resolve("x").toFile().createNewFile();
    store.delete(first); // in the second segment; the first is reclaimed and cannot be deleted
    for (int i = 1; i < 12; i++) {
      store.append(entry("y" + i, T0), bytes(body(i, 1000))); // into a third segment
    }
    for (int i = 0; i < 12; i++) {
      store.delete(new QueueId("y" + i)); // nothing in the second segment is live any more
    }
    store.append(entry("last", T0), bytes("x"));
    store.append(entry("last2", T0), bytes("x"));
    store.close();
    reading.close();
    // the first segment's file is still there (the unlink failed)
    Files.delete(firstFile.resolve("x"));
    Files.delete(firstFile);
    Files.move(aside, firstFile);

    store = FileQueueStore.open(dir, 8192);

    assertThat(store.entries())
        .extracting(e -> e.id().value())
        .as("the deleted entry stays deleted")
        .containsExactly("last", "last2");
  }

  @Test
  void looksForRecordsToCopyInAnOldSegmentAgainOnlyOnceOneOfItsEntriesWasAttempted()
      throws Exception {
    store.close();
    FileQueueStore fs = FileQueueStore.open(dir, 16384);
    store = fs;
    for (int i = 0; i < 40; i++) {
      fs.append(entry("m" + i, T0), bytes(body(i, 1000)));
    }
    for (int i = 3; i < 40; i++) {
      fs.delete(new QueueId("m" + i));
    }
    // m0..m2 are left in the oldest segment, never attempted: not worth copying (they go soon)
    fs.append(entry("t1", T0), bytes("x"));
    fs.append(entry("t2", T0), bytes("x")); // written after the maintenance that t1 asked for
    assertThat(fs.relocationScans()).isEqualTo(1);
    fs.delete(new QueueId("m2"));
    fs.delete(new QueueId("m1"));
    fs.append(entry("t3", T0), bytes("x"));
    fs.append(entry("t4", T0), bytes("x"));
    assertThat(fs.relocationScans()).isEqualTo(1); // nothing there was attempted meanwhile

    QueueEntry survivor =
        deferBob(fs.entry(new QueueId("m0")).orElseThrow(), T0, T0.plusSeconds(300));
    fs.update(survivor); // attempted: its body is worth copying now
    fs.append(entry("t5", T0), bytes("x"));
    fs.append(entry("t6", T0), bytes("x"));

    assertThat(fs.relocationScans()).isGreaterThan(1); // and copied it: the segment is gone
    assertThat(segments()).hasSizeLessThanOrEqualTo(2);
    reopen();
    assertThat(store.entry(new QueueId("m0"))).contains(survivor);
    assertThat(new String(store.message(new QueueId("m0")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo(body(0, 1000));
  }

  @Test
  void copiesTheFewLiveEntriesOfAnOldSegmentForward() throws Exception {
    store.close();
    store = FileQueueStore.open(dir, 8192);
    for (int i = 0; i < 30; i++) {
      store.append(entry("m" + i, T0), bytes(body(i, 1000)));
    }
    QueueEntry survivor =
        deferBob(store.entry(new QueueId("m0")).orElseThrow(), T0, T0.plusSeconds(300));
    store.update(survivor);
    for (int i = 1; i < 30; i++) {
      store.delete(new QueueId("m" + i));
    }
    store.append(entry("tail", T0), bytes("x"));

    assertThat(segments()).hasSizeLessThanOrEqualTo(2);
    reopen();
    assertThat(store.entry(new QueueId("m0"))).contains(survivor);
    assertThat(new String(store.message(new QueueId("m0")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo(body(0, 1000));
  }

  @Test
  void concurrentProducersShareEachFsync() throws Exception {
    FileQueueStore fileStore = (FileQueueStore) store;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 50; i++) {
                    store.append(entry("t" + thread + "-" + i, T0), bytes(body(i, 500)));
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(store.size()).isEqualTo(400);
    assertThat(fileStore.forces()).isLessThan(400);
    reopen();
    assertThat(store.size()).isEqualTo(400);
  }

  @Test
  void oneCallerWithManyAsynchronousAppendsSharesFsyncs() throws Exception {
    FileQueueStore fileStore = (FileQueueStore) store;
    List<java.util.concurrent.CompletableFuture<Void>> futures = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      futures.add(store.appendAsync(entry("a" + i, T0), bytes(body(i, 500))));
    }
    for (var f : futures) {
      f.get();
    }
    assertThat(fileStore.forces()).isLessThan(100);
    assertThat(store.appendAsync(entry("a0", T0), bytes("dup"))).isCompletedExceptionally();
    reopen();
    assertThat(store.size()).isEqualTo(200);
  }

  /** Copies the journal as a crash would leave it: what the open store has written so far. */
  private Path crashCopy() throws IOException {
    Path copy = Files.createDirectories(dir.resolve("crashed"));
    for (int attempt = 1; ; attempt++) {
      try {
        for (Path p : segments()) {
          Files.copy(p, copy.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
      } catch (java.nio.file.NoSuchFileException e) {
        // the writer reclaimed a segment between the listing and the copy: copy a fresh listing
        if (attempt == 5) {
          throw e;
        }
        try (Stream<Path> old = Files.list(copy)) {
          for (Path p : old.toList()) {
            Files.delete(p);
          }
        }
      }
    }
  }


  @Test
  void recoversFromAPreallocatedZeroTailAndWritesOnInPlace() throws Exception {
    QueueEntry a = entry("a1", T0);
    QueueEntry b = entry("b2", T0);
    store.append(a, bytes("message a"));
    store.appendAsync(b, bytes("message b")).get();
    QueueEntry aLater = deferBob(a, T0.plusSeconds(1), T0.plusSeconds(301));
    store.updateAsync(aLater).get();
    store.deleteAsync(b.id()).get();
    awaitSize(segments().get(0), 64 << 10); // zeros are written once the writer is idle
    Path copy = crashCopy();
    Path head = copy.resolve(segments().get(0).getFileName());
    long preallocated = Files.size(head);
    assertThat(preallocated).as("the head is preallocated").isGreaterThanOrEqualTo(64 << 10);

    try (FileQueueStore crashed = FileQueueStore.open(copy)) {
      assertThat(crashed.entries()).containsExactly(aLater);
      assertThat(Files.size(head)).as("the zeros stay, to be overwritten").isEqualTo(preallocated);
      crashed.append(entry("c3", T0), bytes("after the crash"));
    }
    assertThat(Files.size(head)).as("a clean close drops the zeros").isLessThan(1024);
    try (FileQueueStore reopened = FileQueueStore.open(copy)) {
      assertThat(reopened.entries()).extracting(e -> e.id().value()).containsExactly("a1", "c3");
      assertThat(reopened.message(new QueueId("c3")).readAllBytes())
          .isEqualTo("after the crash".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void opensAJournalWhoseLastHeaderDeclaresAHugeLengthAndClearsIt() throws Exception {
    QueueEntry a = entry("a1", T0);
    store.append(a, bytes("message a"));
    store.close();
    Path last = segments().get(segments().size() - 1);
    long end = Files.size(last);
    // a header torn by a crash: this format's magic and a type, then lengths whose sum with the
    // offset overflows a long
    ByteBuffer torn = ByteBuffer.allocate(40);
    torn.putInt(0x4D514A32).put((byte) 1).putInt(100).putLong(Long.MAX_VALUE - 60);
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(torn.array()), end);
    }

    store = FileQueueStore.open(dir);

    assertThat(store.entries()).containsExactly(a);
    byte[] after = Files.readAllBytes(last);
    assertThat(java.util.Arrays.copyOfRange(after, (int) end, after.length))
        .as("the torn header is cleared")
        .containsOnly(0);
    store.append(entry("b2", T0), bytes("after recovery"));
    reopen();
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("a1", "b2");
  }

  @Test
  void acknowledgesNoWriteAfterAFailedFsyncWhoseUnwrittenPagesLinuxMayHaveDropped()
      throws Exception {
    store.close();
    java.util.concurrent.atomic.AtomicReference<IOException> failNext =
        new java.util.concurrent.atomic.AtomicReference<>();
    // no zeros ahead (no idle minute, no threshold): the only fsyncs are the group commits'
    store =
        openWithFsync(
            60_000,
            (path, ch, metaData) -> {
              IOException e = failNext.getAndSet(null);
              if (e != null) {
                throw e; // reported once, as Linux does; the next fsync of the file succeeds
              }
              ch.force(metaData);
            });
    store.append(entry("a1", T0), bytes("message a"));
    failNext.set(new IOException("Input/output error"));
    String lost = body(2, 12_000); // spans whole pages, which c3's write does not touch
    assertThatThrownBy(() -> store.append(entry("b2", T0), bytes(lost)))
        .isInstanceOf(QueueStoreException.class);
    List<String> acknowledged = new ArrayList<>(List.of("a1"));
    try {
      store.append(entry("c3", T0), bytes("message c, written after the failed fsync"));
      acknowledged.add("c3");
    } catch (QueueStoreException e) {
      // refused: what the disk holds before it is unknown until the store is reopened
    }
    store.close();
    // the kernel marked the pages only b2 was written to clean without writing them: the disk
    // holds zeros there (the file grew: nothing was there before)
    Path head = segments().get(0);
    int start = new String(Files.readAllBytes(head), StandardCharsets.ISO_8859_1).indexOf(lost);
    int firstPage = (start + 4095) / 4096 * 4096;
    int pastLastPage = (start + lost.length()) / 4096 * 4096;
    assertThat(pastLastPage).isGreaterThan(firstPage);
    try (FileChannel ch = FileChannel.open(head, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[pastLastPage - firstPage]), firstPage);
    }

    store = FileQueueStore.open(dir);

    assertThat(store.entries())
        .extracting(e -> e.id().value())
        .as("every acknowledged write survives")
        .containsAll(acknowledged);
    assertThat(acknowledged)
        .as("nothing is acknowledged after the failed fsync")
        .containsExactly("a1");
    store.append(entry("d4", T0), bytes("after the reopen"));
    reopen();
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("a1", "d4");
  }

  @Test
  void leavesNoNewSegmentFileBehindWhenARollFailsAfterMakingIt() throws Exception {
    store.close();
    java.util.concurrent.atomic.AtomicBoolean failDirectory =
        new java.util.concurrent.atomic.AtomicBoolean();
    // small segments, so that the appends below roll; the roll's directory fsync fails
    store =
        FileQueueStore.open(
            dir,
            64 << 10,
            60_000,
            0,
            (path, ch, metaData) -> {
              if (failDirectory.get() && path.equals(dir)) {
                throw new IOException("Input/output error");
              }
              ch.force(metaData);
            });
    failDirectory.set(true);
    List<String> acknowledged = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      try {
        store.append(entry("m" + i, T0), bytes(body(i, 10_000)));
        acknowledged.add("m" + i);
      } catch (QueueStoreException e) {
        break; // the failed fsync is final until the store is reopened
      }
    }
    store.close();

    // the file the roll made is gone: a reopen would take it for the last segment and no longer
    // check the message bytes at the end of the one before
    assertThat(segments()).extracting(p -> p.getFileName().toString()).hasSize(1);
    store = FileQueueStore.open(dir);
    assertThat(store.entries()).extracting(e -> e.id().value()).containsAll(acknowledged);
  }

  @Test
  void failsTheWritesAfterAFailedFsyncOfTheZerosAheadSinceItMayHaveTakenTheirErrorReport()
      throws Exception {
    store.close();
    java.util.concurrent.CountDownLatch failed = new java.util.concurrent.CountDownLatch(1);
    store =
        openWithFsync(
            20,
            (path, ch, metaData) -> {
              if (Thread.currentThread().getName().equals("mailcore-queue-journal")
                  && failed.getCount() > 0) {
                failed.countDown(); // the writer's fsync of the zeros it wrote ahead while idle
                throw new IOException("Input/output error");
              }
              ch.force(metaData);
            });
    assertThat(failed.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(() -> store.append(entry("a1", T0), bytes("message a")))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("reopen");
    reopen();
    store.append(entry("a1", T0), bytes("message a"));
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("a1");
  }

  @Test
  void replaysNoRecordOfABatchThatFailedOnAFullDiskOnceALaterRecordEndsWhereOneBegins()
      throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/bin/bash")), "needs bash for ulimit -f");
    Path queue = dir.resolve("full");
    // the file size limit falls inside the batch's third record: the kernel writes the first two
    // whole, then refuses (EFBIG, as ENOSPC on a full disk); the record appended next is as long
    // as the first one of the batch, so it ends where the second one begins
    long first = FullJournalChild.recordLength(FullJournalChild.FIRST);
    long record = FullJournalChild.recordLength(FullJournalChild.BATCH.get(0));
    long limit = (first + 2 * record + 1023) / 1024 * 1024;
    assertThat(limit).isLessThan(first + 3 * record);
    List<String> command =
        new ArrayList<>(QueueCrashTest.childJvm(FullJournalChild.class, queue.toString()).command());
    command.add(1, "-XX:-UsePerfData"); // no memory-mapped file of the JVM's own under the limit
    String limited = "ulimit -f " + limit / 1024 + " && exec \"$0\" \"$@\""; // 1 KiB blocks
    command.addAll(0, List.of("/bin/bash", "-c", limited));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines;
    try (var out =
        new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(), UTF_8))) {
      lines = out.lines().toList();
    }
    assertThat(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(lines)
        .as("the batch failed as a whole, the next append succeeded")
        .contains("ACK w0", "FAIL b1", "FAIL b2", "FAIL b3", "ACK c4");

    try (FileQueueStore crashed = FileQueueStore.open(queue)) {
      assertThat(crashed.entries())
          .extracting(e -> e.id().value())
          .as("what was acknowledged, none of what was reported failed")
          .containsExactly("w0", "c4");
      assertThat(crashed.message(new QueueId("c4")).readAllBytes())
          .isEqualTo(FullJournalChild.body("c4"));
    }
  }

  @Test
  void zeroesEverythingAfterATornRecordSoNoStaleRecordCanFollowNewOnes() throws Exception {
    store.append(entry("a1", T0), bytes("message a"));
    store.append(entry("b2", T0), bytes("message b, torn"));
    store.append(entry("c3", T0), bytes("message c, written after b"));
    Path copy = crashCopy();
    Path head = copy.resolve(segments().get(0).getFileName());
    byte[] journal = Files.readAllBytes(head);
    int torn = new String(journal, StandardCharsets.ISO_8859_1).indexOf("message b, torn");
    try (FileChannel ch = FileChannel.open(head, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {'X'}), torn); // a page of b never reached the disk
    }

    try (FileQueueStore crashed = FileQueueStore.open(copy)) {
      assertThat(crashed.entries()).extracting(e -> e.id().value()).containsExactly("a1");
      byte[] after = Files.readAllBytes(head);
      assertThat(new String(after, StandardCharsets.ISO_8859_1))
          .as("the valid record after the torn one is gone")
          .doesNotContain("message c");
      crashed.append(entry("d4", T0), bytes("d"));
    }
    try (FileQueueStore reopened = FileQueueStore.open(copy)) {
      assertThat(reopened.entries()).extracting(e -> e.id().value()).containsExactly("a1", "d4");
    }
  }

  @Test
  void leavesAnEntryNotYetAttemptedInItsSegmentUntilItIsGone() throws Exception {
    store.close();
    store = FileQueueStore.open(dir, 8192);
    for (int i = 0; i < 30; i++) {
      store.append(entry("m" + i, T0), bytes(body(i, 1000)));
    }
    Path first = segments().get(0);
    for (int i = 1; i < 30; i++) {
      store.delete(new QueueId("m" + i));
    }
    store.append(entry("tail", T0), bytes("x"));

    assertThat(segments()).as("m0 is about to be delivered: not copied").contains(first);
    assertThat(new String(store.message(new QueueId("m0")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo(body(0, 1000));

    store.delete(new QueueId("m0"));
    store.append(entry("tail2", T0), bytes("y"));
    assertThat(segments()).doesNotContain(first).hasSizeLessThanOrEqualTo(2);
  }

  @Test
  void preallocatesANewHeadOnceIdleAndDropsItsZerosOnClose() throws Exception {
    store.close();
    long segment = 256 << 10;
    store = FileQueueStore.open(dir, segment, 20, 0); // zeros only once idle
    int i = 0;
    while (segments().size() < 2) {
      store.append(entry("m" + i, T0), bytes(body(i, 2000)));
      i++;
    }
    Path head = segments().get(1);
    long chunk = 64 << 10; // a quarter of the segment
    awaitSize(head, chunk);
    long headSize = Files.size(head);
    store.append(entry("m" + i, T0), bytes(body(i, 2000)));
    i++;
    assertThat(Files.size(head))
        .as("a preallocated head does not grow as it is written")
        .isEqualTo(headSize);

    int written = i;
    reopen();
    assertThat(Files.size(head)).as("a clean close drops the zeros").isLessThan(chunk);
    assertThat(store.size()).isEqualTo(written);
    byte[] last = store.message(new QueueId("m" + (written - 1))).readAllBytes();
    assertThat(new String(last, StandardCharsets.UTF_8)).isEqualTo(body(written - 1, 2000));
  }

  @Test
  void writesNoZerosAheadInThePausesOnceTheFsyncsCoverMoreThanTheThreshold() throws Exception {
    store.close();
    // idle for a minute never happens here: zeros could only come in the pauses; every fsync
    // covers at least one 32 KB message, so the average is past 16 KiB after the first few
    store = FileQueueStore.open(dir, 64L << 20, 60_000, 16 << 10);
    Path head = segments().get(0);
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      pending.add(store.appendAsync(entry("m" + i, T0), bytes(body(i, 32_000))));
      if (pending.size() >= 128) {
        pending.remove(0).get();
      }
    }
    for (CompletableFuture<Void> f : pending) {
      f.get();
    }
    // the first pauses, before the average is past the threshold, may zero the first 8 MiB ahead
    assertThat(Files.size(head))
        .as("past the first megabytes the head grows with its records (32 MB), not ahead of them")
        .isEqualTo(lastNonZero(head))
        .isGreaterThan(30_000_000);
  }

  @Test
  void writesZerosAheadInThePausesWhileTheFsyncsCoverLessThanTheThreshold() throws Exception {
    store.close();
    store = FileQueueStore.open(dir, 64L << 20, 60_000, 256 << 10);
    Path head = segments().get(0);
    for (int i = 0; i < 20; i++) {
      store.append(entry("m" + i, T0), bytes(body(i, 4000))); // one message per fsync
    }
    long written = lastNonZero(head);
    assertThat(written).isLessThan(100_000);
    awaitSize(head, written + (1 << 20)); // long before a minute idle: in the pauses
  }

  private static long lastNonZero(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    int end = all.length;
    while (end > 0 && all[end - 1] == 0) {
      end--;
    }
    return end;
  }

  /** Waits (up to 10 s) until the writer has preallocated {@code file} to {@code size}. */
  private static void awaitSize(Path file, long size) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (Files.size(file) < size && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(Files.size(file)).as("preallocated").isGreaterThanOrEqualTo(size);
  }

  @Test
  void buffersMessagesLargerThanOneWriteTogetherWithSmallOnes() throws Exception {
    // above the bytes written per call, below the size that is streamed: the buffer grows for them
    String a = body(1, 600 << 10);
    String b = body(2, 900 << 10);
    List<java.util.concurrent.CompletableFuture<Void>> futures = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      futures.add(store.appendAsync(entry("s" + i, T0), bytes(body(100 + i, 5000))));
      if (i == 10) {
        futures.add(store.appendAsync(entry("a", T0), bytes(a)));
      }
      if (i == 11) {
        futures.add(store.appendAsync(entry("b", T0), bytes(b)));
      }
    }
    for (var f : futures) {
      f.get();
    }
    reopen();
    assertThat(store.entries()).hasSize(42);
    assertThat(new String(store.message(new QueueId("a")).readAllBytes(), UTF_8)).isEqualTo(a);
    assertThat(new String(store.message(new QueueId("b")).readAllBytes(), UTF_8)).isEqualTo(b);
    for (int i = 0; i < 40; i++) {
      assertThat(new String(store.message(new QueueId("s" + i)).readAllBytes(), UTF_8))
          .isEqualTo(body(100 + i, 5000));
    }
  }

  @Test
  void storesLargeMessagesStreamedBetweenSmallOnesOfTheSameBatch() throws Exception {
    String large = body(0, 3 << 20); // above the batch buffer's limit per message: streamed
    List<java.util.concurrent.CompletableFuture<Void>> futures = new ArrayList<>();
    futures.add(store.appendAsync(entry("s1", T0), bytes("small one")));
    futures.add(store.appendAsync(entry("big", T0), bytes(large)));
    futures.add(store.appendAsync(entry("s2", T0), bytes("small two")));
    byte[] unsized = "size unknown".getBytes(StandardCharsets.UTF_8);
    futures.add(
        store.appendAsync(
            entry("unsized", T0),
            dev.mailcore.Content.ofSource(() -> new java.io.ByteArrayInputStream(unsized), -1)));
    for (var f : futures) {
      f.get();
    }
    reopen();
    assertThat(store.entries())
        .extracting(e -> e.id().value())
        .containsExactly("s1", "big", "s2", "unsized");
    assertThat(new String(store.message(new QueueId("big")).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo(large);
    assertThat(store.message(new QueueId("s2")).readAllBytes())
        .isEqualTo("small two".getBytes(StandardCharsets.UTF_8));
    assertThat(store.message(new QueueId("unsized")).readAllBytes()).isEqualTo(unsized);
  }

  @Test
  void failsOnlyTheAppendWhoseMessageCannotBeReadAndKeepsTheRestOfItsBatch() throws Exception {
    var good1 = store.appendAsync(entry("g1", T0), bytes("good one"));
    var bad =
        store.appendAsync(
            entry("bad", T0),
            dev.mailcore.Content.ofSource(
                () -> {
                  throw new IOException("disk of the caller is gone");
                },
                10));
    var good2 = store.appendAsync(entry("g2", T0), bytes("good two"));
    good1.get();
    good2.get();
    assertThatThrownBy(bad::get).hasCauseInstanceOf(QueueStoreException.class);
    reopen();
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("g1", "g2");
    assertThat(store.message(new QueueId("g2")).readAllBytes())
        .isEqualTo("good two".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aStreamOpenedBeforeItsSegmentIsReclaimedReadsOnToTheEnd() throws Exception {
    store.close();
    store = FileQueueStore.open(dir, 8192);
    store.append(entry("first", T0), bytes(body(0, 9000))); // alone in its segment
    java.io.InputStream open = store.message(new QueueId("first")).open();
    Path first = segments().get(0);
    store.delete(new QueueId("first"));
    for (int i = 1; i < 12; i++) {
      store.append(entry("m" + i, T0), bytes(body(i, 1000)));
    }
    store.delete(new QueueId("m1")); // a deletion asks for reclamation before the next write
    store.append(entry("last", T0), bytes("x"));
    assertThat(segments()).as("the first segment was reclaimed").doesNotContain(first);
    try (open) {
      assertThat(new String(open.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(body(0, 9000));
    }
  }

  @Test
  void aBodyLookedUpBeforeItsSegmentIsReusedIsReadFromWhereItWasCopied() throws Exception {
    store.close();
    FileQueueStore fs = FileQueueStore.open(dir, 8192);
    store = fs;
    for (int i = 0; i < 30; i++) {
      store.append(entry("m" + i, T0), bytes(body(i, 1000)));
    }
    QueueId survivor = new QueueId("m0");
    store.message(survivor).readAllBytes(); // the first read takes the bytes handed over in memory
    Content looked = store.message(survivor); // from here on: a place in the first segment
    store.update(deferBob(store.entry(survivor).orElseThrow(), T0, T0.plusSeconds(300)));
    // the others are delivered; the survivor's bytes are copied forward and the first segment's
    // file is reclaimed, then reused and overwritten by later entries
    for (int i = 1; i < 30; i++) {
      store.delete(new QueueId("m" + i));
    }
    for (int i = 0; i < 200 && fs.recycledSegments() == 0; i++) {
      store.append(entry("n" + i, T0), bytes(body(100 + i, 1000)));
      store.delete(new QueueId("n" + i));
    }
    for (int i = 0; i < 40; i++) {
      store.append(entry("p" + i, T0), bytes(body(300 + i, 1000)));
    }
    assertThat(fs.recycledSegments()).as("a reclaimed file was reused").isPositive();

    assertThat(new String(looked.readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo(body(0, 1000));
  }

  @Test
  void reusesAReclaimedSegmentFileAndNeverReplaysWhatItHeldBefore() throws Exception {
    store.close();
    FileQueueStore fs = FileQueueStore.open(dir, 8192);
    store = fs;
    // Every record of a kind has the same size (ids of one length, bodies of one length), so the
    // records written into a reused file end exactly where records of its earlier life begin: only
    // the segment number in each record's CRC tells the old ones apart.
    // Delivered as they go: each entry is deleted a few entries later, so old segments free up.
    int i = 0;
    Path head = null;
    while (i < 5000) {
      store.append(entry(fixedId(i), T0), bytes(fixedBody(i)));
      if (i >= 4) {
        store.delete(new QueueId(fixedId(i - 4)));
      }
      i++;
      List<Path> now = segments();
      head = now.get(now.size() - 1);
      if (fs.recycledSegments() >= 2 && holdsADeletedEntry(head, i - 4)) {
        break; // the head is a reused file with records of its earlier life after the new ones
      }
    }
    assertThat(fs.recycledSegments()).as("reclaimed files reused").isGreaterThanOrEqualTo(2);
    assertThat(holdsADeletedEntry(head, i - 4)).isTrue();
    assertThat(segments()).as("files are reused, not piled up").hasSizeLessThanOrEqualTo(3);
    List<String> live = new ArrayList<>();
    for (int k = i - 4; k < i; k++) {
      live.add(fixedId(k));
    }

    try (FileQueueStore crashed = FileQueueStore.open(crashCopy())) {
      assertThat(crashed.entries()).extracting(e -> e.id().value()).containsExactlyElementsOf(live);
      for (int k = i - 4; k < i; k++) {
        assertThat(new String(crashed.message(new QueueId(fixedId(k))).readAllBytes(), UTF_8))
            .isEqualTo(fixedBody(k));
      }
      crashed.append(entry("after", T0), bytes("written on the reused head"));
    }
    reopen();
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactlyElementsOf(live);
  }

  private static String fixedId(int i) {
    return "m" + (10_000 + i);
  }

  private static String fixedBody(int i) {
    StringBuilder b = new StringBuilder("Subject: " + fixedId(i) + "\r\n\r\n");
    while (b.length() < 700) {
      b.append('x');
    }
    return b.toString();
  }

  /** True when {@code file} holds the bytes of an entry numbered below {@code firstLive}. */
  private static boolean holdsADeletedEntry(Path file, int firstLive) throws IOException {
    String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("Subject: m(\\d+)").matcher(text);
    while (m.find()) {
      if (Integer.parseInt(m.group(1)) - 10_000 < firstLive) {
        return true;
      }
    }
    return false;
  }

  @Test
  void readsAJournalOfTheEarlierRecordFormat() throws Exception {
    store.close();
    Files.delete(segments().get(0));
    QueueEntry old = entry("v1", T0);
    byte[] meta = EntryCodec.encode(old);
    byte[] body = "written by the first format".getBytes(UTF_8);
    java.util.zip.CRC32C bodyCrc = new java.util.zip.CRC32C();
    bodyCrc.update(body);
    ByteBuffer fields = ByteBuffer.allocate(17);
    fields.put((byte) 1).putInt(meta.length).putLong(body.length).putInt((int) bodyCrc.getValue());
    fields.flip();
    java.util.zip.CRC32C metaCrc = new java.util.zip.CRC32C();
    metaCrc.update(fields);
    metaCrc.update(meta);
    ByteBuffer record = ByteBuffer.allocate(25 + meta.length + body.length);
    record.putInt(0x4D514A31).put((byte) 1).putInt(meta.length).putLong(body.length);
    record.putInt((int) metaCrc.getValue()).putInt((int) bodyCrc.getValue()).put(meta).put(body);
    Files.write(dir.resolve("journal-0000000000000001.log"), record.array());

    store = FileQueueStore.open(dir);
    assertThat(store.entries()).containsExactly(old);
    assertThat(store.message(old.id()).readAllBytes()).isEqualTo(body);
    store.append(entry("v2", T0), bytes("written by the second"));
    reopen();
    assertThat(store.entries()).extracting(e -> e.id().value()).containsExactly("v1", "v2");
    assertThat(store.message(old.id()).readAllBytes()).isEqualTo(body);
  }

  @Test
  void readsASmallMessageFromMemoryTheFirstTimeAndFromTheJournalAfterwards() throws Exception {
    QueueEntry a = entry("a1", T0);
    store.append(a, bytes("kept in memory"));
    Path journal = segments().get(0);
    byte[] saved = Files.readAllBytes(journal);
    Files.delete(journal); // the journal is out of reach: only bytes kept in memory can answer
    try {
      assertThat(store.message(a.id()).readAllBytes()).isEqualTo("kept in memory".getBytes(UTF_8));
      Content again = store.message(a.id()); // a retry or a bounce: read from the journal
      assertThatThrownBy(again::readAllBytes).isInstanceOf(java.io.UncheckedIOException.class);
    } finally {
      Files.write(journal, saved);
    }
  }

  @Test
  void refusesToOpenAJournalOfANewerFormatAndLeavesItAsItIs() throws Exception {
    store.close();
    Path first = segments().get(0);
    ByteBuffer header = ByteBuffer.allocate(64);
    header.putInt(0x4D514A39).put((byte) 1); // "MQJ9", a format this version does not know
    Files.write(first, header.array());

    assertThatThrownBy(() -> FileQueueStore.open(dir))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("newer journal format");
    assertThat(Files.readAllBytes(first)).as("not zeroed as a torn tail").isEqualTo(header.array());
    Files.delete(first);
    store = FileQueueStore.open(dir); // for the common tear-down
  }

  @Test
  void refusesToOpenAJournalWithAWholeRecordItCannotReadAndLeavesItAsItIs() throws Exception {
    store.append(entry("a1", T0), bytes("first"));
    store.append(entry("b2", T0), bytes("second"));
    store.close();
    Path first = segments().get(0);
    long number = Long.parseLong(first.getFileName().toString().replaceAll("\\D", ""));
    byte[] journal = Files.readAllBytes(first);
    // the first record: magic, type, meta length, body length, meta CRC, body CRC, meta, body
    ByteBuffer record = ByteBuffer.wrap(journal);
    byte type = record.get(4);
    int metaLength = record.getInt(5);
    long bodyLength = record.getLong(9);
    int bodyCrc = record.getInt(21);
    journal[25] = 9; // the entry's codec version: one this version does not know
    byte[] meta = java.util.Arrays.copyOfRange(journal, 25, 25 + metaLength);
    record.putInt(17, FileQueueStore.metaCrc(number, type, metaLength, bodyLength, bodyCrc, meta));
    Files.write(first, journal);

    assertThatThrownBy(() -> FileQueueStore.open(dir))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("cannot read")
        .hasMessageContaining("unknown queue entry version 9");
    assertThat(Files.readAllBytes(first)).as("left as it is").isEqualTo(journal);
    Files.delete(first);
    store = FileQueueStore.open(dir); // for the common tear-down
  }

  @Test
  void reusesTheSegmentsOfAnEarlierRunOnceTheyAreReclaimed() throws Exception {
    store.close();
    store = FileQueueStore.open(dir, 8192);
    for (int i = 0; i < 30; i++) {
      store.append(entry(fixedId(i), T0), bytes(fixedBody(i)));
    }
    List<Path> before = segments();
    assertThat(before).hasSizeGreaterThan(2);
    store.close();
    FileQueueStore reopened = FileQueueStore.open(dir, 8192);
    store = reopened;
    for (int i = 0; i < 30; i++) {
      store.delete(new QueueId(fixedId(i)));
    }
    for (int i = 30; i < 60 && reopened.recycledSegments() == 0; i++) {
      store.append(entry(fixedId(i), T0), bytes(fixedBody(i)));
    }
    assertThat(reopened.recycledSegments())
        .as("segments replayed at open (all of the current format) are reused too")
        .isPositive();
  }
}
