package dev.mailcore.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Flag;
import dev.mailcore.Folder;
import dev.mailcore.FolderInfo;
import dev.mailcore.MailException;
import dev.mailcore.MailStore;
import dev.mailcore.MailStoreContract;
import dev.mailcore.Message;
import dev.mailcore.MessageUid;
import dev.mailcore.SearchQuery;
import dev.mailcore.StoreCapability;
import dev.mailcore.StoredMessage;
import dev.mailcore.SyncResult;
import dev.mailcore.SyncState;
import dev.mailcore.Watch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Runs the store contract on a store with every capability, plus what only the fake has. */
class InMemoryMailStoreTest extends MailStoreContract {
  private final ManualClock clock = ManualClock.ofDefaults();
  private final InMemoryMailStore store = InMemoryMailStore.builder().clock(clock).build();

  @Override
  protected MailStore store() {
    return store;
  }

  @Override
  protected void deliver(Message message) {
    store.deliver(message);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private static byte[] raw(String subject) {
    String text =
        "From: ana@shop.example\r\n"
            + "To: bob@example.org\r\n"
            + "Subject: "
            + subject
            + "\r\n"
            + "Message-ID: <"
            + Math.abs(subject.hashCode())
            + "@shop.example>\r\n"
            + "\r\n"
            + "body of "
            + subject
            + "\r\n";
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private List<StoredMessage> inbox() {
    try (Folder inbox = store.inbox()) {
      return inbox.list().toList();
    }
  }

  @Test
  void resetUidValidityMakesSavedStatesStartOver() {
    store.deliver(MailStore.INBOX, raw("A"));
    store.deliver(MailStore.INBOX, raw("B"));
    SyncState saved;
    List<MessageUid> before;
    try (Folder inbox = store.inbox()) {
      SyncResult first = inbox.fetchNew(SyncState.initial());
      saved = first.next();
      before = first.messages().stream().map(StoredMessage::uid).toList();
    }

    store.resetUidValidity(MailStore.INBOX);

    try (Folder inbox = store.inbox()) {
      SyncResult after = inbox.fetchNew(saved);
      assertThat(after.reset()).isTrue();
      assertThat(after.messages())
          .extracting(m -> m.subject().orElse(""))
          .containsExactly("A", "B");
      assertThat(after.messages())
          .extracting(StoredMessage::uid)
          .doesNotContainAnyElementsOf(before);
      assertThat(inbox.find(before.get(0))).isEmpty();
      assertThat(inbox.fetchNew(after.next()).reset()).isFalse();
    }
  }

  @Test
  void syncStateIsUidValidityAndNextUid() {
    store.deliver(MailStore.INBOX, raw("A"));
    try (Folder inbox = store.inbox()) {
      assertThat(inbox.fetchNew(SyncState.initial()).next().encoded()).isEqualTo("mem:1:2");
    }
  }

  @Test
  void rawDeliveryKeepsTheBytesAndDecodesHeaders() throws Exception {
    byte[] bytes =
        ("From: =?UTF-8?Q?Jo=C3=A3o?= <joao@shop.example>\r\n"
                + "To: bob@example.org,\r\n carl@example.org\r\n"
                + "Subject: =?UTF-8?Q?Ol=C3=A1?= and\r\n  more\r\n"
                + "\r\n"
                + "hi\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    store.deliver(MailStore.INBOX, bytes);

    StoredMessage m = inbox().get(0);
    assertThat(m.subject()).contains("Olá and  more");
    assertThat(m.header("From")).contains("João <joao@shop.example>");
    assertThat(m.header("To")).contains("bob@example.org, carl@example.org");
    assertThat(m.size()).isEqualTo(bytes.length);
    try (var in = m.openContent()) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @Test
  void receivedDateComesFromTheClock() {
    store.deliver(MailStore.INBOX, raw("Early"));
    clock.advance(Duration.ofHours(2));
    store.deliver(MailStore.INBOX, raw("Late"));
    Instant start = Instant.parse("2026-01-01T00:00:00Z");

    assertThat(inbox())
        .extracting(m -> m.receivedDate().orElseThrow())
        .containsExactly(start, start.plus(Duration.ofHours(2)));
    try (Folder inbox = store.inbox()) {
      assertThat(inbox.search(SearchQuery.builder().since(start.plusSeconds(60)).build()))
          .extracting(m -> m.subject().orElse(""))
          .containsExactly("Late");
    }
  }

  @Test
  void deliveringIntoMissingFolderIsRefused() {
    assertThatThrownBy(() -> store.deliver("Nowhere", raw("x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Nowhere");
  }

  @Test
  void deliversIntoOtherFolders() {
    store.createFolder("Lists");
    store.deliver("Lists", raw("Digest"));
    try (Folder lists = store.open("Lists")) {
      assertThat(lists.list()).extracting(m -> m.subject().orElse("")).containsExactly("Digest");
    }
    assertThat(inbox()).isEmpty();
  }

  @Test
  void concurrentDeliveriesGetDistinctUids() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        jobs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 50; i++) {
                    store.deliver(MailStore.INBOX, raw("t" + thread + "-" + i));
                  }
                }));
      }
      for (Future<?> job : jobs) {
        job.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<StoredMessage> all = inbox();
    assertThat(all).hasSize(200);
    assertThat(new HashSet<>(all.stream().map(StoredMessage::uid).toList())).hasSize(200);
  }

  @Test
  void folderRolesAreListed() {
    InMemoryMailStore withSent =
        InMemoryMailStore.builder().folder("Sent", FolderInfo.Role.SENT).build();
    assertThat(withSent.folders())
        .containsExactly(
            new FolderInfo("INBOX", Optional.of(FolderInfo.Role.INBOX)),
            new FolderInfo("Sent", Optional.of(FolderInfo.Role.SENT)));
  }

  @Test
  void inboxCannotBeDeletedOrRenamed() {
    assertThatThrownBy(() -> store.deleteFolder("INBOX")).isInstanceOf(MailException.class);
    assertThatThrownBy(() -> store.renameFolder("inbox", "Old")).isInstanceOf(MailException.class);
  }

  @Test
  void inboxNameIgnoresCase() {
    store.deliver("inbox", raw("Lower"));
    try (Folder f = store.open("Inbox")) {
      assertThat(f.name()).isEqualTo("INBOX");
      assertThat(f.messageCount()).isEqualTo(1);
    }
  }

  @Test
  void moveKeepsFlags() {
    store.createFolder("Archive");
    store.deliver(MailStore.INBOX, raw("Starred"));
    try (Folder inbox = store.inbox()) {
      MessageUid uid = inbox.list().toList().get(0).uid();
      inbox.addFlags(List.of(uid), Set.of(Flag.FLAGGED, Flag.keyword("$Work")));
      inbox.moveTo(List.of(uid), "Archive");
    }
    try (Folder archive = store.open("Archive")) {
      assertThat(archive.list().toList().get(0).flags())
          .containsOnly(Flag.FLAGGED, Flag.keyword("$Work"));
    }
  }

  @Test
  void builderRefusesMoveWithoutFolders() {
    assertThatThrownBy(() -> InMemoryMailStore.builder().capabilities(StoreCapability.MOVE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                InMemoryMailStore.builder()
                    .capabilities(Set.of())
                    .folder("Sent", FolderInfo.Role.SENT)
                    .build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closedStoreRefusesWorkAndStopsWatches() {
    Watch watch = store.watch(MailStore.INBOX, messages -> {});
    store.close();
    assertThat(watch.isActive()).isFalse();
    assertThatThrownBy(store::inbox).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.deliver(MailStore.INBOX, raw("x")))
        .isInstanceOf(IllegalStateException.class);
    store.close();
  }

  @Test
  void closedFolderRefusesWork() {
    Folder inbox = store.inbox();
    inbox.close();
    assertThatThrownBy(inbox::messageCount).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void watchSurvivesListenerThatThrows() throws InterruptedException {
    CountDownLatch second = new CountDownLatch(1);
    List<String> heard = Collections.synchronizedList(new ArrayList<>());
    try (Watch watch =
        store.watch(
            MailStore.INBOX,
            messages -> {
              String subject = messages.get(0).subject().orElse("");
              heard.add(subject);
              if (subject.equals("first")) {
                throw new IllegalStateException("listener bug");
              }
              second.countDown();
            })) {
      store.deliver(MailStore.INBOX, raw("first"));
      store.deliver(MailStore.INBOX, raw("second"));
      // real-time wait for the watch thread, bounded
      assertThat(second.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(heard).containsExactly("first", "second");
      assertThat(watch.isActive()).isTrue();
    }
  }

  @Test
  void watchingMissingFolderFails() {
    assertThatThrownBy(() -> store.watch("Nowhere", messages -> {}))
        .isInstanceOf(MailException.class)
        .hasMessageContaining("Nowhere");
  }

  @Test
  void watchHearsOnlyItsFolder() throws InterruptedException {
    store.createFolder("Other");
    CountDownLatch inboxMail = new CountDownLatch(1);
    List<String> heard = Collections.synchronizedList(new ArrayList<>());
    try (Watch watch =
        store.watch(
            MailStore.INBOX,
            messages -> {
              messages.forEach(m -> heard.add(m.subject().orElse("")));
              inboxMail.countDown();
            })) {
      store.deliver("Other", raw("elsewhere"));
      store.deliver("inbox", raw("here")); // any case names INBOX
      assertThat(inboxMail.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(heard).containsExactly("here");
    }
  }
}
