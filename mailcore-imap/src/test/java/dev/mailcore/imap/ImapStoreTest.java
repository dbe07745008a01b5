package dev.mailcore.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Credentials;
import dev.mailcore.Flag;
import dev.mailcore.Folder;
import dev.mailcore.FolderInfo;
import dev.mailcore.MailAuthenticationException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailStore;
import dev.mailcore.MailStores;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.SearchQuery;
import dev.mailcore.StoreCapability;
import dev.mailcore.StoredMessage;
import dev.mailcore.SyncResult;
import dev.mailcore.SyncState;
import dev.mailcore.TlsMode;
import dev.mailcore.Watch;
import dev.mailcore.MailProtocolException;
import dev.mailcore.testnet.FaultServer;
import dev.mailcore.testnet.GreenMailStoreContract;
import dev.mailcore.testnet.StartTlsFront;
import dev.mailcore.testnet.TcpProxy;
import dev.mailcore.testnet.TestTls;
import dev.mailcore.testing.ManualClock;
import dev.mailcore.testing.ManualScheduler;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ImapStoreTest {

  /** The shared contract on a fresh GreenMail per test. */
  abstract static class OnGreenMailContract extends GreenMailStoreContract<GreenMailImap> {
    @Override
    protected GreenMailImap startServer() {
      return new GreenMailImap();
    }

    @Override
    protected Duration watchTimeout() {
      return Duration.ofSeconds(2);
    }
  }

  /** The shared contract over plain text. */
  @Nested
  class PlainContract extends OnGreenMailContract {
    @Override
    protected ImapStore build() {
      return server.plain(server.imapPort()).build();
    }
  }

  /** The shared contract over implicit TLS, with certificate and host-name checks. */
  @Nested
  class TlsContract extends OnGreenMailContract {
    @Override
    protected ImapStore build() {
      return server.tls().build();
    }
  }

  /** IMAP-specific behaviour on GreenMail. */
  @Nested
  class OnGreenMail {
    private GreenMailImap server;
    private ImapStore store;

    @BeforeEach
    void start() {
      server = new GreenMailImap();
      store = server.plain(server.imapPort()).build();
    }

    @AfterEach
    void stop() {
      store.close();
      server.close();
    }

    private Message message(String subject) {
      return Message.builder()
          .from(Mailbox.of("ana", "shop.example"))
          .to(Mailbox.of("bob", "example.org"))
          .subject(subject)
          .text("text of " + subject)
          .build();
    }

    @Test
    void advertisesIdleAndMoveOfTheServer() {
      assertThat(store.capabilities())
          .containsExactlyInAnyOrder(
              StoreCapability.FOLDERS,
              StoreCapability.FLAGS,
              StoreCapability.SEARCH,
              StoreCapability.APPEND,
              StoreCapability.IDLE,
              StoreCapability.MOVE);
    }

    @Test
    void leavesIdleOutWhenDisabled() {
      try (ImapStore polling = server.plain(server.imapPort()).idle(false).build()) {
        assertThat(polling.capabilities()).doesNotContain(StoreCapability.IDLE);
      }
    }

    @Test
    void messageCountDropsTheMessagesMovedAway() {
      // Angus numbers a message expunged by a MOVE until this client EXPUNGEs: Dovecot showed
      // a count one too high after every moveTo
      server.deliver(message("Stays"));
      server.deliver(message("Goes"));
      store.createFolder("Archive");
      try (Folder inbox = store.inbox()) {
        StoredMessage goes = inbox.list().filter(m -> m.subject().orElse("").equals("Goes")).findFirst().orElseThrow();
        inbox.moveTo(List.of(goes.uid()), "Archive");

        assertThat(inbox.messageCount()).isEqualTo(1);
        assertThat(inbox.list().map(m -> m.subject().orElseThrow())).containsExactly("Stays");
      }
      try (Folder archive = store.open("Archive")) {
        assertThat(archive.messageCount()).isEqualTo(1);
      }
    }

    @Test
    void idsAreUidValidityAndUid() {
      server.deliver(message("One"));
      try (Folder inbox = store.inbox(); Stream<StoredMessage> s = inbox.list()) {
        assertThat(s.toList()).singleElement()
            .satisfies(m -> assertThat(m.uid().value()).matches("\\d+:\\d+"));
      }
    }

    @Test
    void fetchNewResetsWhenUidValidityChanges() {
      server.deliver(message("Old"));
      SyncState current;
      try (Folder inbox = store.inbox()) {
        current = inbox.fetchNew(SyncState.initial()).next();
        assertThat(inbox.fetchNew(current).messages()).isEmpty();
      }
      String[] parts = current.encoded().split(":");
      assertThat(parts).hasSize(3).startsWith("imap");
      // what a client holds after the server renumbered the folder (RFC 3501 §2.3.1.1): its
      // saved UIDVALIDITY differs from the folder's. (GreenMail derives UIDVALIDITY from the
      // clock in seconds, so re-creating a folder within a second would keep it.)
      long older = Long.parseLong(parts[1]) - 1;
      SyncState stale = SyncState.parse("imap:" + older + ":" + parts[2]);
      server.deliver(message("New"));
      try (Folder inbox = store.inbox()) {
        SyncResult r = inbox.fetchNew(stale);
        assertThat(r.reset()).isTrue();
        assertThat(r.messages()).extracting(m -> m.subject().orElse("")).containsExactly("Old", "New");
        assertThat(r.next().encoded()).startsWith("imap:" + parts[1] + ":");
        assertThat(inbox.fetchNew(r.next()).messages()).isEmpty();
      }
    }

    @Test
    void idsOfAnotherUidValidityAreUnknown() {
      server.deliver(message("Only"));
      try (Folder inbox = store.inbox(); Stream<StoredMessage> s = inbox.list()) {
        String id = s.findFirst().orElseThrow().uid().value();
        long validity = Long.parseLong(id.substring(0, id.indexOf(':')));
        String stale = (validity - 1) + id.substring(id.indexOf(':'));
        assertThat(inbox.find(dev.mailcore.MessageUid.of(stale))).isEmpty();
        assertThat(inbox.find(dev.mailcore.MessageUid.of(id))).isPresent();
      }
    }

    @Test
    void listFetchesLazilyInBatches() {
      for (int i = 0; i < 7; i++) {
        server.deliver(message("M" + i));
      }
      try (ImapStore small = server.plain(server.imapPort()).fetchBatchSize(3).build();
          Folder inbox = small.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        assertThat(s.limit(4).map(m -> m.subject().orElse("")).toList())
            .containsExactly("M0", "M1", "M2", "M3");
      }
    }

    @Test
    void streamsLargeContentInPartialFetches() throws Exception {
      String big = "0123456789abcdef\r\n".repeat(20_000); // 360 KB, several 64 KiB fetches
      server.deliver(Message.builder().from(Mailbox.of("ana", "shop.example")).to(Mailbox.of("bob", "example.org"))
          .subject("Big").text(big).build());
      try (Folder inbox = store.inbox(); Stream<StoredMessage> s = inbox.list()) {
        StoredMessage m = s.findFirst().orElseThrow();
        long total = 0;
        try (InputStream in = m.openContent()) {
          byte[] buf = new byte[8192];
          int n;
          while ((n = in.read(buf)) > 0) {
            total += n;
          }
        }
        assertThat(total).isEqualTo(m.size()).isGreaterThan(360_000);
      }
    }

    @Test
    void prefetchedBodiesArriveWithTheirBatch() throws Exception {
      server.deliver(message("Small"));
      server.deliver(message("Also small"));
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore prefetching = server.plain(proxy.port()).prefetchBodies(1 << 20).build();
          Folder inbox = prefetching.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        List<StoredMessage> listed = s.toList();
        proxy.cut(); // no connection any more: the bodies must already be here
        for (StoredMessage m : listed) {
          try (InputStream in = m.openContent()) {
            assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII))
                .contains("Subject: " + m.subject().orElseThrow());
          }
        }
      }
    }

    private static long fetches(TcpProxy proxy, String contains) {
      return proxy.clientLines().stream()
          .map(l -> l.toUpperCase(java.util.Locale.ROOT))
          .filter(l -> l.contains("FETCH") && l.contains(contains))
          .count();
    }

    private static String text(StoredMessage m) {
      try (InputStream in = m.openContent()) {
        return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Test
    void headerListingIsOneFetchPerBatch() throws Exception {
      for (int i = 0; i < 7; i++) {
        server.deliver(message("M" + i));
      }
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore small = server.plain(proxy.port()).fetchBatchSize(3).build();
          Folder inbox = small.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        assertThat(s.map(m -> m.subject().orElse("")).toList()).hasSize(7);
        assertThat(fetches(proxy, "ENVELOPE")).isEqualTo(3);
        assertThat(fetches(proxy, "")).isEqualTo(3);
      }
    }

    @Test
    void prefetchingListingBringsManyBodiesInOneFetch() throws Exception {
      for (int i = 0; i < 30; i++) {
        server.deliver(message("M" + i));
      }
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore prefetching = server.plain(proxy.port()).fetchBatchSize(5).prefetchBodies(1 << 20).build();
          Folder inbox = prefetching.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        List<StoredMessage> listed = s.toList();
        long before = proxy.clientLines().size();
        assertThat(listed).hasSize(30);
        for (int i = 0; i < 30; i++) {
          StoredMessage m = listed.get(i);
          assertThat(m.subject()).contains("M" + i);
          assertThat(m.from()).containsExactly(Mailbox.of("ana", "shop.example"));
          assertThat(m.size()).isEqualTo(text(m).length());
          assertThat(text(m)).contains("Subject: M" + i + "\r\n").contains("text of M" + i);
        }
        // one FETCH of the sizes, one of the 30 whole messages: no round trip per message
        assertThat(fetches(proxy, "(UID RFC822.SIZE)")).isEqualTo(1);
        assertThat(fetches(proxy, "BODY.PEEK[]")).isEqualTo(1);
        assertThat(proxy.clientLines()).hasSize((int) before); // content read without the server
      }
    }

    @Test
    void prefetchBatchesAreBoundedByBytes() throws Exception {
      for (int i = 0; i < 12; i++) {
        server.deliver(message("M" + i));
      }
      long size;
      try (Folder inbox = store.inbox(); Stream<StoredMessage> s = inbox.list()) {
        size = s.mapToLong(StoredMessage::size).max().orElseThrow();
      }
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore prefetching =
              server.plain(proxy.port()).prefetchBodies(1 << 20).prefetchBatch(1000, 3 * size).build();
          Folder inbox = prefetching.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        assertThat(s.map(m -> m.subject().orElse("")).toList()).hasSize(12);
        assertThat(fetches(proxy, "BODY.PEEK[]")).isEqualTo(4); // three messages' bytes each
      }
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore prefetching = server.plain(proxy.port()).prefetchBodies(1 << 20).prefetchBatch(5, 1 << 30).build();
          Folder inbox = prefetching.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        assertThat(s.count()).isEqualTo(12);
        assertThat(fetches(proxy, "BODY.PEEK[]")).isEqualTo(3); // five messages each
      }
    }

    @Test
    void prefetchingListingStreamsMessagesAboveTheLimit() throws Exception {
      String big = "0123456789abcdef\r\n".repeat(10_000);
      server.deliver(message("Small 1"));
      server.deliver(Message.builder().from(Mailbox.of("ana", "shop.example")).to(Mailbox.of("bob", "example.org"))
          .subject("Big").text(big).build());
      server.deliver(message("Small 2"));
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore prefetching = server.plain(proxy.port()).prefetchBodies(64 * 1024).build();
          Folder inbox = prefetching.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        List<StoredMessage> listed = s.toList();
        assertThat(listed).extracting(m -> m.subject().orElse("")).containsExactly("Small 1", "Big", "Small 2");
        assertThat(fetches(proxy, "BODY.PEEK[]")).isEqualTo(1);
        assertThat(proxy.clientLines()).anyMatch(l -> l.contains("UID FETCH 1,3 ("));
        assertThat(text(listed.get(1))).contains(big.substring(0, 1000));
        assertThat(listed.get(1).size()).isGreaterThan(160_000);
      }
    }

    @Test
    void keywordsAreStoredAndListedBack() {
      server.deliver(message("Tagged"));
      dev.mailcore.Flag label = dev.mailcore.Flag.keyword("$Invoice");
      try (Folder inbox = store.inbox()) {
        StoredMessage m = inbox.list().findFirst().orElseThrow();
        inbox.addFlags(List.of(m.uid()), java.util.Set.of(label, dev.mailcore.Flag.FLAGGED));
        assertThat(inbox.find(m.uid()).orElseThrow().flags()).contains(label, dev.mailcore.Flag.FLAGGED);
        inbox.removeFlags(List.of(m.uid()), java.util.Set.of(label));
        assertThat(inbox.find(m.uid()).orElseThrow().flags()).doesNotContain(label).contains(dev.mailcore.Flag.FLAGGED);
      }
    }

    @Test
    void deleteExpungesOnlyTheGivenMessages() {
      // UID EXPUNGE (RFC 4315 §2.1): a message another client flagged \Deleted stays
      server.deliver(message("Delete me"));
      server.deliver(message("Flagged elsewhere"));
      try (Folder inbox = store.inbox()) {
        List<StoredMessage> all = inbox.list().toList();
        inbox.addFlags(List.of(all.get(1).uid()), java.util.Set.of(dev.mailcore.Flag.DELETED));
        inbox.delete(List.of(all.get(0).uid()));
        assertThat(inbox.list().map(m -> m.subject().orElse(""))).containsExactly("Flagged elsewhere");
      }
    }

    @Test
    void searchesByRecipientAndReceivedDate() {
      server.deliver(message("To bob"));
      server.deliver(Message.builder().from(Mailbox.of("ana", "shop.example")).to(Mailbox.of("carol", "example.org"))
          .subject("To carol").text("c").build());
      java.time.Instant now = java.time.Instant.now();
      try (Folder inbox = store.inbox()) {
        assertThat(inbox.search(dev.mailcore.SearchQuery.builder().to("carol").build()))
            .extracting(m -> m.subject().orElse("")).containsExactly("To carol");
        assertThat(inbox.search(dev.mailcore.SearchQuery.builder()
                .since(now.minus(Duration.ofHours(1))).before(now.plus(Duration.ofHours(1))).build()))
            .hasSize(2);
        assertThat(inbox.search(dev.mailcore.SearchQuery.builder().since(now.plus(Duration.ofDays(2))).build()))
            .isEmpty();
        assertThat(inbox.search(dev.mailcore.SearchQuery.builder().before(now.minus(Duration.ofDays(2))).build()))
            .isEmpty();
      }
    }

    // ---- through the MailStore interface, as a protocol-neutral caller uses the store

    private void deliver(String fromLocal, String toLocal, String subject, String text) {
      server.deliver(
          Message.builder()
              .from(Mailbox.of(fromLocal, "shop.example"))
              .to(Mailbox.of(toLocal, "example.org"))
              .subject(subject)
              .text(text)
              .build());
    }

    private static List<StoredMessage> listed(Folder folder) {
      try (Stream<StoredMessage> s = folder.list()) {
        return s.toList();
      }
    }

    private static List<String> subjects(List<StoredMessage> messages) {
      return messages.stream().map(m -> m.subject().orElse("")).toList();
    }

    @Test
    void serverSearchAgreesWithTheQueryEvaluatedOnTheListedFields() {
      deliver("ana", "bob", "Invoice 17", "short");
      deliver("carl", "bob", "Re: invoice 17", "x".repeat(4000));
      deliver("ana", "dora", "Holiday photos", "y".repeat(8000));
      deliver("eve", "bob", "Newsletter", "z");
      MailStore mail = store;
      java.time.Instant now = java.time.Instant.now();
      try (Folder inbox = mail.inbox()) {
        List<StoredMessage> before = listed(inbox);
        inbox.addFlags(
            List.of(before.get(0).uid(), before.get(2).uid()), java.util.Set.of(Flag.SEEN));
        List<StoredMessage> all = listed(inbox);
        java.util.Map<SearchQuery, List<String>> expected = new java.util.LinkedHashMap<>();
        expected.put(q().from("ana").build(), List.of("Invoice 17", "Holiday photos"));
        expected.put(q().from("ANA@SHOP").build(), List.of("Invoice 17", "Holiday photos"));
        expected.put(q().to("dora").build(), List.of("Holiday photos"));
        expected.put(q().subject("INVOICE").build(), List.of("Invoice 17", "Re: invoice 17"));
        expected.put(q().unseen().build(), List.of("Re: invoice 17", "Newsletter"));
        expected.put(q().largerThan(3000).build(), List.of("Re: invoice 17", "Holiday photos"));
        expected.put(q().from("ana").unseen().build(), List.of());
        expected.put(
            q().subject("invoice").largerThan(3000).build(), List.of("Re: invoice 17"));
        expected.put(
            q().from("carl").since(now.minus(Duration.ofHours(1))).build(),
            List.of("Re: invoice 17"));
        expected.put(q().before(now.minus(Duration.ofHours(1))).build(), List.of());
        expected.put(q().from("nobody").build(), List.of());
        expected.forEach(
            (query, subjects) -> {
              List<StoredMessage> found = inbox.search(query);
              assertThat(subjects(found)).as("server: %s", query).isEqualTo(subjects);
              assertThat(subjects(all.stream().filter(query::matches).toList()))
                  .as("SearchQuery.matches: %s", query)
                  .isEqualTo(subjects);
            });
      }
    }

    private static SearchQuery.Builder q() {
      return SearchQuery.builder();
    }

    @Test
    void flagsSetInOneSessionAreSeenByTheNextAndRemovedOneByOne() {
      server.deliver(message("First"));
      server.deliver(message("Second"));
      Flag work = Flag.keyword("$Work");
      MailStore mail = store;
      try (Folder inbox = mail.inbox()) {
        List<dev.mailcore.MessageUid> uids = listed(inbox).stream().map(StoredMessage::uid).toList();
        inbox.addFlags(uids, java.util.Set.of(Flag.SEEN, Flag.FLAGGED, work));
        inbox.removeFlags(List.of(uids.get(0)), java.util.Set.of(Flag.FLAGGED));
      }
      try (MailStore next = server.plain(server.imapPort()).build();
          Folder inbox = next.inbox()) {
        List<StoredMessage> all = listed(inbox);
        assertThat(all.get(0).flags()).contains(Flag.SEEN, work).doesNotContain(Flag.FLAGGED);
        assertThat(all.get(1).flags()).contains(Flag.SEEN, Flag.FLAGGED, work);
        assertThat(inbox.search(q().unseen().build())).isEmpty();
      }
    }

    @Test
    void foldersNamedOutsideAsciiAreCreatedRenamedAndDeleted() {
      // IMAP names travel in modified UTF-7 (RFC 3501 §5.1.3); callers see the Unicode names
      server.deliver(message("Draft"));
      MailStore mail = store;
      mail.createFolder("Entwürfe");
      assertThat(mail.folders()).extracting(FolderInfo::name).contains("Entwürfe");
      try (Folder inbox = mail.inbox()) {
        inbox.copyTo(List.of(listed(inbox).get(0).uid()), "Entwürfe");
      }
      mail.renameFolder("Entwürfe", "Brouillons à revoir");
      assertThat(mail.folders())
          .extracting(FolderInfo::name)
          .contains("Brouillons à revoir")
          .doesNotContain("Entwürfe");
      try (Folder renamed = mail.open("Brouillons à revoir")) {
        assertThat(subjects(listed(renamed))).containsExactly("Draft");
      }
      mail.deleteFolder("Brouillons à revoir");
      assertThat(mail.folders()).extracting(FolderInfo::name).doesNotContain("Brouillons à revoir");
      assertThatThrownBy(() -> mail.open("Brouillons à revoir")).isInstanceOf(MailException.class);
    }

    @Test
    void copiedMessagesKeepTheirFlagsAndAreSearchableInTheTargetFolder() {
      // RFC 3501 §6.4.7: COPY preserves the flags
      server.deliver(message("Keep"));
      server.deliver(message("Other"));
      Flag work = Flag.keyword("$Work");
      MailStore mail = store;
      mail.createFolder("Archive");
      try (Folder inbox = mail.inbox()) {
        StoredMessage keep = listed(inbox).get(0);
        inbox.addFlags(List.of(keep.uid()), java.util.Set.of(Flag.FLAGGED, work));
        inbox.copyTo(List.of(keep.uid()), "Archive");
      }
      try (Folder archive = mail.open("Archive")) {
        assertThat(listed(archive)).singleElement()
            .satisfies(m -> assertThat(m.flags()).contains(Flag.FLAGGED, work));
        assertThat(subjects(archive.search(q().subject("keep").build()))).containsExactly("Keep");
        assertThat(archive.search(q().subject("other").build())).isEmpty();
      }
    }

    @Test
    void fetchNewAfterTheNewestMessageWasDeletedReturnsOnlyLaterMail() {
      server.deliver(message("A"));
      server.deliver(message("B"));
      MailStore mail = store;
      SyncState state;
      try (Folder inbox = mail.inbox()) {
        SyncResult first = inbox.fetchNew(SyncState.initial());
        state = first.next();
        inbox.delete(List.of(first.messages().get(1).uid()));
      }
      server.deliver(message("C"));
      try (Folder inbox = mail.inbox()) {
        SyncResult r = inbox.fetchNew(state);
        assertThat(r.reset()).isFalse();
        assertThat(subjects(r.messages())).containsExactly("C");
        assertThat(inbox.fetchNew(r.next()).messages()).isEmpty();
      }
    }

    @Test
    void appendsIntoTheSentFolderWithItsUid() {
      store.createFolder("Sent");
      Message sent = message("Saved copy");
      try (Folder folder = store.open("Sent")) {
        java.util.Optional<dev.mailcore.MessageUid> uid = folder.append(sent, java.util.Set.of(dev.mailcore.Flag.SEEN));
        assertThat(uid).as("APPENDUID of UIDPLUS").isPresent();
        StoredMessage m = folder.find(uid.orElseThrow()).orElseThrow();
        assertThat(m.subject()).contains("Saved copy");
        assertThat(m.flags()).contains(dev.mailcore.Flag.SEEN);
      }
    }

    @Test
    void idleWatchHearsMailSentOverSmtpWithinTwoSeconds() throws Exception {
      CountDownLatch arrived = new CountDownLatch(1);
      List<String> subjects = Collections.synchronizedList(new ArrayList<>());
      try (Watch watch =
          store.watch(MailStore.INBOX, msgs -> {
            msgs.forEach(m -> subjects.add(m.subject().orElse("")));
            arrived.countDown();
          })) {
        server.sendSmtp(message("Over SMTP"));
        assertThat(arrived.await(2, TimeUnit.SECONDS)).as("reported within 2 s").isTrue();
        assertThat(subjects).containsExactly("Over SMTP");
      }
    }

    @Test
    void watchGoesOnAfterItsListenerThrowsAnError() throws Exception {
      BlockingQueue<String> subjects = new LinkedBlockingQueue<>();
      try (Watch watch =
          store.watch(MailStore.INBOX, msgs -> {
            msgs.forEach(m -> subjects.add(m.subject().orElse("")));
            throw new AssertionError("a listener's failed check");
          })) {
        server.sendSmtp(message("First"));
        assertThat(subjects.poll(5, TimeUnit.SECONDS)).isEqualTo("First");
        server.sendSmtp(message("Second"));
        assertThat(subjects.poll(5, TimeUnit.SECONDS)).as("still watching").isEqualTo("Second");
        assertThat(watch.isActive()).isTrue();
      }
    }

    @Test
    void watchRecoversAfterTheConnectionIsCut() throws Exception {
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore viaProxy = server.plain(proxy.port()).build()) {
        CountDownLatch lost = new CountDownLatch(1);
        CountDownLatch back = new CountDownLatch(1);
        CountDownLatch mail = new CountDownLatch(1);
        List<MailException> causes = Collections.synchronizedList(new ArrayList<>());
        Watch.Listener listener =
            new Watch.Listener() {
              @Override
              public void newMail(List<StoredMessage> messages) {
                if (messages.stream().anyMatch(m -> m.subject().orElse("").equals("After cut"))) {
                  mail.countDown();
                }
              }

              @Override
              public void connectionLost(MailException cause) {
                causes.add(cause);
                lost.countDown();
              }

              @Override
              public void reconnected() {
                back.countDown();
              }
            };
        try (Watch watch = viaProxy.watch(MailStore.INBOX, listener)) {
          proxy.cut();
          assertThat(lost.await(10, TimeUnit.SECONDS)).as("connection loss noticed").isTrue();
          assertThat(back.await(10, TimeUnit.SECONDS)).as("reconnected by itself").isTrue();
          server.deliver(message("After cut"));
          assertThat(mail.await(2, TimeUnit.SECONDS)).as("mail after reconnect within 2 s").isTrue();
          assertThat(watch.isActive()).isTrue();
          assertThat(causes.get(0)).isInstanceOf(MailException.class);
        }
      }
    }

    /** A watch on {@code proxy} whose timed work runs on {@code scheduler}; events in {@code events}. */
    private ImapStore manuallyTimed(TcpProxy proxy, ManualScheduler scheduler) {
      return server.plain(proxy.port())
          .readTimeout(Duration.ofSeconds(30)) // keep-alive NOOPs run only when the test says
          .reconnectDelay(Duration.ofSeconds(1), Duration.ofSeconds(4))
          .clock(scheduler.clock())
          .scheduler(scheduler)
          .build();
    }

    private Watch.Listener recording(BlockingQueue<String> events) {
      return new RecordingListener(events);
    }

    /** Steps the manual time until the watch's next connection attempt reaches the proxy. */
    private Duration untilNextAttempt(ManualScheduler scheduler, TcpProxy proxy) {
      int before = proxy.accepted();
      java.time.Instant start = scheduler.clock().instant();
      for (int i = 0; i < 600 && proxy.accepted() == before; i++) {
        scheduler.advance(Duration.ofMillis(100)); // the attempt runs on this thread
      }
      assertThat(proxy.accepted()).as("an attempt within a minute").isGreaterThan(before);
      return Duration.between(start, scheduler.clock().instant());
    }

    private static String next(BlockingQueue<String> events) throws InterruptedException {
      String e;
      do {
        e = events.poll(10, TimeUnit.SECONDS);
      } while (e != null && e.startsWith("mail "));
      return e;
    }

    @Test
    void watchReconnectBackOffDoublesUpToItsCap() throws Exception {
      ManualScheduler scheduler = new ManualScheduler(ManualClock.ofDefaults());
      BlockingQueue<String> events = new LinkedBlockingQueue<>();
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore viaProxy = manuallyTimed(proxy, scheduler);
          Watch watch = viaProxy.watch(MailStore.INBOX, recording(events))) {
        proxy.refuse(true);
        proxy.cut();
        assertThat(next(events)).isEqualTo("lost");

        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          waits.add(untilNextAttempt(scheduler, proxy));
        }
        assertThat(waits)
            .containsExactly(
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(4));

        proxy.refuse(false);
        assertThat(untilNextAttempt(scheduler, proxy)).isEqualTo(Duration.ofSeconds(4));
        assertThat(next(events)).isEqualTo("back");
        assertThat(watch.isActive()).isTrue();
      }
    }

    @Test
    void watchBackOffStartsOverOnlyAfterAConnectionThatLasted() throws Exception {
      ManualScheduler scheduler = new ManualScheduler(ManualClock.ofDefaults());
      BlockingQueue<String> events = new LinkedBlockingQueue<>();
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore viaProxy = manuallyTimed(proxy, scheduler);
          Watch watch = viaProxy.watch(MailStore.INBOX, recording(events))) {
        proxy.cut();
        assertThat(next(events)).isEqualTo("lost");
        assertThat(untilNextAttempt(scheduler, proxy)).isEqualTo(Duration.ofSeconds(1));
        assertThat(next(events)).isEqualTo("back");

        // dropped again at once: a server that accepts and drops is not retried every second
        proxy.cut();
        assertThat(next(events)).isEqualTo("lost");
        assertThat(untilNextAttempt(scheduler, proxy)).isEqualTo(Duration.ofSeconds(2));
        assertThat(next(events)).isEqualTo("back");

        // up for the maximum delay: the next drop starts over from the first delay
        scheduler.advance(Duration.ofSeconds(4));
        proxy.cut();
        assertThat(next(events)).isEqualTo("lost");
        assertThat(untilNextAttempt(scheduler, proxy)).isEqualTo(Duration.ofSeconds(1));
        assertThat(next(events)).isEqualTo("back");
      }
    }

    @Test
    void watchOfAFolderDeletedMeanwhileStopsWithATypedErrorInsteadOfRetryingForEver() throws Exception {
      store.createFolder("Receipts");
      ManualScheduler scheduler = new ManualScheduler(ManualClock.ofDefaults());
      BlockingQueue<String> events = new LinkedBlockingQueue<>();
      RecordingListener listener = new RecordingListener(events);
      List<MailException> stops = listener.stops;
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore viaProxy = manuallyTimed(proxy, scheduler);
          Watch watch = viaProxy.watch("Receipts", listener)) {
        store.deleteFolder("Receipts");
        proxy.cut();
        assertThat(next(events)).isEqualTo("lost");
        untilNextAttempt(scheduler, proxy);

        assertThat(next(events)).isEqualTo("stopped");
        assertThat(watch.isActive()).isFalse();
        assertThat(stops).singleElement()
            .satisfies(e -> assertThat(e.isTemporary()).isFalse())
            .satisfies(e -> assertThat(e).hasMessageContaining("Receipts"));
        int attempts = proxy.accepted();
        scheduler.advance(Duration.ofMinutes(10));
        assertThat(proxy.accepted()).as("no attempt after stopping").isEqualTo(attempts);
      }
    }

    @Test
    void watchReportsMailThatArrivedWhileDisconnected() throws Exception {
      try (TcpProxy proxy = new TcpProxy(server.imapPort());
          ImapStore viaProxy = server.plain(proxy.port()).build()) {
        CountDownLatch mail = new CountDownLatch(1);
        CountDownLatch lost = new CountDownLatch(1);
        Watch.Listener listener =
            new Watch.Listener() {
              @Override
              public void newMail(List<StoredMessage> messages) {
                if (messages.stream().anyMatch(m -> m.subject().orElse("").equals("During outage"))) {
                  mail.countDown();
                }
              }

              @Override
              public void connectionLost(MailException cause) {
                lost.countDown();
              }
            };
        try (Watch watch = viaProxy.watch(MailStore.INBOX, listener)) {
          proxy.refuse(true);
          proxy.cut();
          assertThat(lost.await(10, TimeUnit.SECONDS)).isTrue();
          server.deliver(message("During outage"));
          proxy.refuse(false);
          assertThat(mail.await(10, TimeUnit.SECONDS)).as("reported after reconnect").isTrue();
        }
      }
    }

    @Test
    void foldersListInboxWithItsRole() {
      store.createFolder("Receipts");
      List<FolderInfo> folders = store.folders();
      assertThat(folders).contains(new FolderInfo("INBOX", java.util.Optional.of(FolderInfo.Role.INBOX)));
      assertThat(folders).anySatisfy(f -> assertThat(f.name()).isEqualTo("Receipts"));
    }

    @Test
    void wrongPasswordIsAnAuthenticationFailure() {
      try (ImapStore wrong =
          server.plain(server.imapPort()).credentials(Credentials.password("bob", "nope")).build()) {
        assertThatThrownBy(wrong::capabilities)
            .isInstanceOf(MailAuthenticationException.class)
            .hasMessageNotContaining("nope")
            .hasCauseInstanceOf(jakarta.mail.AuthenticationFailedException.class);
      }
    }

    @Test
    void refusesPlainTextLoginUnlessAllowed() {
      try (ImapStore plain = server.plain(server.imapPort()).allowPlaintext(false).build()) {
        assertThatThrownBy(plain::capabilities)
            .isInstanceOf(MailAuthenticationException.class)
            .hasMessageContaining("allowPlaintext");
      }
    }

    @Test
    void untrustedCertificateFailsTheConnection() {
      try (ImapStore untrusted =
          ImapStore.builder()
              .host("localhost")
              .port(server.imapsPort())
              .credentials(Credentials.password("bob", "secret"))
              .connectTimeout(Duration.ofSeconds(5))
              .readTimeout(Duration.ofSeconds(5))
              .build()) {
        assertThatThrownBy(untrusted::capabilities)
            .isInstanceOf(MailConnectionException.class)
            .satisfies(e -> assertThat(((MailException) e).isPermanent()).isTrue());
      }
    }

    @Test
    void oauth2TokenLogsInWithXoauth2() {
      try (ImapStore oauth =
          server.plain(server.imapPort())
              .credentials(Credentials.oauth2("bob", () -> "secret"))
              .build()) {
        assertThat(oauth.folders()).isNotEmpty();
      }
    }

    @Test
    void mailStoresOpensImapUris() {
      URI uri = URI.create("imap://127.0.0.1:" + server.imapPort() + "?tls=none&allowPlaintext=true");
      try (MailStore opened = MailStores.open(uri, Credentials.password("bob", "secret"))) {
        assertThat(opened).isInstanceOf(ImapStore.class);
        assertThat(opened.has(StoreCapability.FOLDERS)).isTrue();
      }
    }

    @Test
    void builderRejectsIdleRearmOfTwentyNineMinutes() {
      assertThatThrownBy(() -> ImapStore.builder().idleRearm(Duration.ofMinutes(29)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> ImapStore.builder().host("h").build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("credentials");
    }
  }

  /**
   * STARTTLS (RFC 3501 §6.2.1) through a {@link StartTlsFront} before GreenMail's plain IMAP port:
   * GreenMail 2.1 offers no STARTTLS of its own.
   */
  @Nested
  class StartTls {
    private GreenMailImap server;

    @BeforeEach
    void start() {
      server = new GreenMailImap();
    }

    @AfterEach
    void stop() {
      server.close();
    }

    private StartTlsFront front(StartTlsFront.Behaviour behaviour) throws IOException {
      return new StartTlsFront(StartTlsFront.Protocol.IMAP, behaviour, server.imapPort());
    }

    private ImapStore.Builder via(String host, StartTlsFront front, TlsMode mode) {
      return ImapStore.builder()
          .host(host)
          .port(front.port())
          .tls(mode)
          .sslContext(TestTls.clientContext())
          .credentials(Credentials.password(GreenMailImap.USER, GreenMailImap.PASSWORD))
          .connectTimeout(Duration.ofSeconds(5))
          .readTimeout(Duration.ofSeconds(5));
    }

    @Test
    void upgradesToTlsBeforeLoggingIn() throws IOException {
      server.deliver(Message.builder().from(Mailbox.of("ana", "shop.example")).to(Mailbox.of("bob", "example.org"))
          .subject("Over STARTTLS").text("hello").build());
      try (StartTlsFront front = front(StartTlsFront.Behaviour.UPGRADE);
          ImapStore store = via("localhost", front, TlsMode.STARTTLS).build();
          Folder inbox = store.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        assertThat(s.map(m -> m.subject().orElse(""))).containsExactly("Over STARTTLS");
        assertThat(front.upgrades()).isPositive();
        assertThat(front.plainLines()).anyMatch(l -> l.toUpperCase(java.util.Locale.ROOT).endsWith("STARTTLS"));
        assertThat(front.sawPlainCredentials()).isFalse();
      }
    }

    @Test
    void untrustedCertificateFailsAndNeverFallsBackToPlainText() throws IOException {
      try (StartTlsFront front = front(StartTlsFront.Behaviour.UPGRADE);
          ImapStore store =
              ImapStore.builder() // the JDK's default trust: the test certificate is unknown
                  .host("localhost")
                  .port(front.port())
                  .tls(TlsMode.STARTTLS)
                  .credentials(Credentials.password(GreenMailImap.USER, GreenMailImap.PASSWORD))
                  .connectTimeout(Duration.ofSeconds(5))
                  .readTimeout(Duration.ofSeconds(5))
                  .build()) {
        assertThatThrownBy(store::capabilities)
            .isInstanceOf(MailConnectionException.class)
            .satisfies(e -> assertThat(((MailException) e).isPermanent()).isTrue())
            .hasMessageContaining("TLS handshake failed");
        assertThat(front.upgrades()).isZero();
        assertThat(front.sawPlainCredentials()).isFalse();
      }
    }

    @Test
    void certificateForAnotherHostFailsTheUpgrade() throws IOException {
      // the certificate names localhost and 127.0.0.1; 127.0.0.2 is loopback too, but not named
      java.net.InetAddress other = java.net.InetAddress.getByName("127.0.0.2");
      try (StartTlsFront front =
              new StartTlsFront(StartTlsFront.Protocol.IMAP, StartTlsFront.Behaviour.UPGRADE, server.imapPort(), other);
          ImapStore store = via("127.0.0.2", front, TlsMode.STARTTLS).build()) {
        assertThatThrownBy(store::capabilities)
            .isInstanceOf(MailConnectionException.class)
            .satisfies(e -> assertThat(((MailException) e).isPermanent()).isTrue());
        assertThat(front.sawPlainCredentials()).isFalse();
      }
    }

    @Test
    void serverWithoutStartTlsIsRefusedWhenTlsIsRequired() throws IOException {
      for (TlsMode mode : List.of(TlsMode.STARTTLS, TlsMode.STARTTLS_IF_OFFERED)) {
        try (StartTlsFront front = front(StartTlsFront.Behaviour.NOT_OFFERED);
            ImapStore store = via("localhost", front, mode).build()) {
          assertThatThrownBy(store::capabilities)
              .as(mode.toString())
              .isInstanceOf(MailException.class)
              .hasMessageContaining("STARTTLS");
          assertThat(front.sawPlainCredentials()).as(mode + ": no downgrade").isFalse();
        }
      }
    }

    @Test
    void startTlsAnsweredWithAnErrorFailsClearly() throws IOException {
      try (StartTlsFront front = front(StartTlsFront.Behaviour.REFUSE);
          ImapStore store = via("localhost", front, TlsMode.STARTTLS).build()) {
        assertThatThrownBy(store::capabilities)
            .isInstanceOf(MailException.class)
            .hasMessageContaining("not available now");
        assertThat(front.sawPlainCredentials()).isFalse();
      }
    }
  }

  /** Hostile servers end in clear errors within the time-out, never a hang or OutOfMemoryError. */
  @Nested
  @Timeout(value = 15, unit = TimeUnit.SECONDS)
  class HostileServer {
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    private ImapStore store(FaultServer server) {
      return builder(server).build();
    }

    private ImapStore.Builder builder(FaultServer server) {
      return ImapStore.builder()
          .host("127.0.0.1")
          .port(server.port())
          .tls(TlsMode.NONE)
          .allowPlaintext(true)
          .credentials(Credentials.password("bob", "secret"))
          .connectTimeout(TIMEOUT)
          .readTimeout(TIMEOUT);
    }

    private MailException failure(FaultServer.Script script, java.util.function.Consumer<ImapStore> call)
        throws IOException {
      try (FaultServer server = new FaultServer(script); ImapStore store = store(server)) {
        long start = System.nanoTime();
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> call.accept(store));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(t).isInstanceOf(MailException.class);
        assertThat(took).as("failed within a few time-outs").isLessThan(Duration.ofSeconds(5));
        assertThat(server.failures()).isEmpty();
        return (MailException) t;
      }
    }

    @Test
    void silentServerTimesOut() throws IOException {
      MailException e = failure(c -> c.drain(), ImapStore::capabilities);
      assertThat(e).isInstanceOf(MailConnectionException.class).hasMessageContaining("timed out");
    }

    @Test
    void endlessGreetingIsAProtocolError() throws IOException {
      MailException e =
          failure(
              c -> {
                c.send("* OK ");
                c.sendEndless((byte) 'x', 40L * 1024 * 1024);
                c.drain();
              },
              ImapStore::capabilities);
      assertThat(e).isInstanceOf(MailProtocolException.class).hasMessageContaining("line");
    }

    @Test
    void hugeLiteralIsRefusedBeforeAllocation() throws IOException {
      MailException e =
          failure(
              HostileImapServers.loginThen((c, tag, cmd) -> c.send("* LIST () \"/\" {9999999999}\r\n")),
              ImapStore::folders);
      assertThat(e).isInstanceOf(MailProtocolException.class).hasMessageContaining("literal");
    }

    @Test
    void literalJustBelowTwoGigabytesIsRefusedToo() throws IOException {
      // Angus would allocate the announced size at once
      MailException e =
          failure(
              HostileImapServers.loginThen((c, tag, cmd) -> c.send("* LIST () \"/\" {2000000000}\r\nabc")),
              ImapStore::folders);
      assertThat(e).isInstanceOf(MailProtocolException.class).hasMessageContaining("2000000000");
    }

    @Test
    void wrongTagsEndInAnErrorWithinTheTimeout() throws IOException {
      failure(
          HostileImapServers.loginThen((c, tag, cmd) -> c.send("ZZZ999 OK not yours\r\n")),
          ImapStore::folders);
    }

    @Test
    void disconnectMidResponseIsAConnectionError() throws IOException {
      MailException e =
          failure(
              HostileImapServers.loginThen(
                  (c, tag, cmd) -> {
                    c.send("* LIST () \"/\" INB");
                    throw new IOException("hang up mid-response");
                  }),
              ImapStore::folders);
      assertThat(e).isInstanceOf(MailConnectionException.class);
    }

    @Test
    void refusedLoginIsAnAuthenticationError() throws IOException {
      MailException e =
          failure(
              c -> {
                c.send("* OK [CAPABILITY IMAP4rev1] ready\r\n");
                String line = c.readLine();
                c.send(FaultServer.Conversation.tag(line) + " NO [AUTHENTICATIONFAILED] nope\r\n");
                c.drain();
              },
              ImapStore::capabilities);
      assertThat(e).isInstanceOf(MailAuthenticationException.class);
    }

    @Test
    void refusedCommandIsACommandErrorWithTheServerText() throws IOException {
      MailException e =
          failure(
              HostileImapServers.loginThen((c, tag, cmd) -> c.send(tag + " NO [CANNOT] not today\r\n")),
              s -> s.createFolder("X"));
      assertThat(e).isInstanceOf(dev.mailcore.MailCommandException.class).hasMessageContaining("not today");
    }

    @Test
    void deleteFindsAMessageTheServerAnnouncesOnlyAfterTheLookup() throws IOException {
      // Dovecot: a message another session appended after SELECT is invisible to UID FETCH,
      // which answers only "* 2 EXISTS"; the delete used to find nothing and silently keep it
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      boolean[] announced = {false};
      FaultServer.Script script =
          HostileImapServers.loginThen(
              (c, tag, cmd) -> {
                seen.add(cmd);
                String verb = cmd.toUpperCase(java.util.Locale.ROOT);
                if (HostileImapServers.inboxOfOne(c, tag, cmd, 3)) {
                  return;
                }
                if (verb.startsWith("UID FETCH") && !announced[0]) {
                  announced[0] = true;
                  c.send("* 2 EXISTS\r\n" + tag + " OK done\r\n");
                } else if (verb.startsWith("UID FETCH")) {
                  c.send("* 2 FETCH (UID 2)\r\n" + tag + " OK done\r\n");
                } else if (verb.contains("STORE")) {
                  c.send("* 2 FETCH (UID 2 FLAGS (\\Deleted))\r\n" + tag + " OK done\r\n");
                } else if (verb.contains("EXPUNGE")) {
                  c.send("* 2 EXPUNGE\r\n" + tag + " OK done\r\n");
                } else {
                  c.send(tag + " OK done\r\n");
                }
              });
      try (FaultServer server = new FaultServer(script); ImapStore store = store(server); Folder inbox = store.inbox()) {
        inbox.delete(List.of(dev.mailcore.MessageUid.of("7:2")));

        assertThat(seen).anyMatch(cmd -> cmd.toUpperCase(java.util.Locale.ROOT).contains("STORE 2 +FLAGS (\\DELETED)"));
        assertThat(seen).anyMatch(cmd -> cmd.toUpperCase(java.util.Locale.ROOT).contains("EXPUNGE"));
        assertThat(server.failures()).isEmpty();
      }
    }

    @Test
    void fetchNewOnAnOpenFolderPollsForMailTheServerHasNotAnnouncedYet() throws IOException {
      // Dovecot announces what its LDA wrote into the Maildir only on NOOP (or IDLE), and answers
      // UID FETCH n:* with the old last message: an open folder's fetchNew never saw new mail
      java.util.concurrent.atomic.AtomicBoolean delivered = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicInteger announced = new java.util.concurrent.atomic.AtomicInteger(1);
      FaultServer.Script script =
          HostileImapServers.loginThen(
              (c, tag, cmd) -> {
                if (delivered.get() && announced.get() == 1) {
                  announced.set(2);
                  c.send("* 2 EXISTS\r\n* 1 RECENT\r\n");
                }
                c.send(tag + " OK done\r\n");
              },
              (c, tag, cmd) -> {
                if (HostileImapServers.inboxOfOne(c, tag, cmd, 2)) {
                  return;
                }
                if (cmd.toUpperCase(java.util.Locale.ROOT).contains("FETCH")) {
                  StringBuilder b = new StringBuilder();
                  for (int i = 1; i <= announced.get(); i++) {
                    String header = "Subject: Msg " + i + "\r\n\r\n";
                    b.append("* ").append(i).append(" FETCH (UID ").append(i)
                        .append(" FLAGS () RFC822.SIZE 40 INTERNALDATE \"01-Dec-2026 09:00:00 +0000\" ENVELOPE (")
                        .append("\"Tue, 1 Dec 2026 09:00:00 +0000\" \"Msg ").append(i)
                        .append("\" ((NIL NIL \"ana\" \"shop.test\")) NIL NIL ((NIL NIL \"bob\" \"example.test\"))")
                        .append(" NIL NIL NIL \"<").append(i).append("@shop.test>\") BODY[HEADER] {")
                        .append(header.length()).append("}\r\n").append(header).append(")\r\n");
                  }
                  c.send(b + tag + " OK done\r\n");
                } else {
                  c.send(tag + " OK done\r\n");
                }
              });
      try (FaultServer server = new FaultServer(script); ImapStore store = store(server); Folder inbox = store.inbox()) {
        SyncResult first = inbox.fetchNew(SyncState.initial());
        assertThat(first.messages()).extracting(m -> m.uid().value()).containsExactly("7:1");

        delivered.set(true);
        SyncResult second = inbox.fetchNew(first.next());

        assertThat(second.messages()).extracting(m -> m.uid().value()).containsExactly("7:2");
        assertThat(second.messages().get(0).subject()).contains("Msg 2");
        assertThat(inbox.fetchNew(second.next()).messages()).isEmpty();
        assertThat(server.failures()).isEmpty();
      }
    }

    @Test
    void listsSpecialUseRolesFromListAttributes() throws IOException {
      FaultServer.Script script =
          HostileImapServers.loginThen(
              (c, tag, cmd) -> {
                if (cmd.toUpperCase(java.util.Locale.ROOT).startsWith("LIST")) {
                  c.send("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
                      + "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n"
                      + "* LIST (\\Trash) \"/\" Bin\r\n"
                      + "* LIST (\\Junk) \"/\" Spam\r\n"
                      + "* LIST (\\Drafts) \"/\" Drafts\r\n"
                      + "* LIST (\\Archive) \"/\" Archive\r\n"
                      + "* LIST (\\All) \"/\" All\r\n"
                      + "* LIST (\\Flagged) \"/\" Starred\r\n"
                      + "* LIST (\\HasChildren) \"/\" Projects\r\n"
                      + tag + " OK done\r\n");
                } else {
                  c.send(tag + " BAD unexpected\r\n");
                }
              });
      try (FaultServer server = new FaultServer(script); ImapStore store = store(server)) {
        java.util.Map<String, java.util.Optional<FolderInfo.Role>> roles = new java.util.HashMap<>();
        store.folders().forEach(f -> roles.put(f.name(), f.role()));
        assertThat(roles)
            .containsEntry("INBOX", java.util.Optional.of(FolderInfo.Role.INBOX))
            .containsEntry("Sent Items", java.util.Optional.of(FolderInfo.Role.SENT))
            .containsEntry("Bin", java.util.Optional.of(FolderInfo.Role.TRASH))
            .containsEntry("Spam", java.util.Optional.of(FolderInfo.Role.JUNK))
            .containsEntry("Drafts", java.util.Optional.of(FolderInfo.Role.DRAFTS))
            .containsEntry("Archive", java.util.Optional.of(FolderInfo.Role.ARCHIVE))
            .containsEntry("All", java.util.Optional.of(FolderInfo.Role.ALL))
            .containsEntry("Starred", java.util.Optional.of(FolderInfo.Role.FLAGGED))
            .containsEntry("Projects", java.util.Optional.empty());
      }
    }
  
    @Test
    void watchKeepAliveReArmsIdleBeforeTheTwentyNineMinuteLimit() throws Exception {
      BlockingQueue<String> commands = new LinkedBlockingQueue<>();
      FaultServer.Script script =
          HostileImapServers.loginThen(
              "IMAP4rev1 IDLE",
              (c, tag, cmd) -> {
                commands.add("NOOP");
                c.send(tag + " OK done\r\n");
              },
              (c, tag, cmd) -> {
                if (HostileImapServers.inboxOfOne(c, tag, cmd, 2)) {
                  return;
                }
                String verb = cmd.toUpperCase(java.util.Locale.ROOT);
                if (verb.startsWith("IDLE")) {
                  commands.add("IDLE");
                  c.send("+ idling\r\n");
                  commands.add(c.readLine()); // DONE
                  c.send(tag + " OK idle done\r\n");
                } else if (verb.startsWith("UID FETCH")) {
                  c.send("* 1 FETCH (UID 1)\r\n" + tag + " OK done\r\n");
                } else {
                  c.send(tag + " OK done\r\n");
                }
              });
      ManualScheduler scheduler = new ManualScheduler(ManualClock.ofDefaults());
      try (FaultServer server = new FaultServer(script);
          ImapStore store =
              builder(server)
                  .readTimeout(Duration.ofHours(1)) // so the re-arm interval alone sets the pace
                  .idleRearm(Duration.ofMinutes(25))
                  .clock(scheduler.clock())
                  .scheduler(scheduler)
                  .build();
          Watch watch = store.watch(MailStore.INBOX, msgs -> {})) {
        assertThat(commands.poll(5, TimeUnit.SECONDS)).isEqualTo("IDLE");
        scheduler.advance(Duration.ofSeconds(1)); // the settle NOOP after the first IDLE
        assertThat(List.of(next(commands), next(commands), next(commands)))
            .containsExactly("DONE", "NOOP", "IDLE");

        scheduler.advance(Duration.ofMinutes(25).minusSeconds(2));
        assertThat(commands.poll(300, TimeUnit.MILLISECONDS)).as("IDLE runs on").isNull();
        scheduler.advance(Duration.ofSeconds(1)); // 25 minutes after connecting
        assertThat(List.of(next(commands), next(commands), next(commands)))
            .containsExactly("DONE", "NOOP", "IDLE");
        assertThat(watch.isActive()).isTrue();
        assertThat(server.failures()).isEmpty();
      }
    }

    private String next(BlockingQueue<String> q) throws InterruptedException {
      return q.poll(5, TimeUnit.SECONDS);
    }

    /**
     * An INBOX of one message with IDLE: the first connection's IDLE is answered by {@code
     * firstIdle}, later connections idle correctly.
     */
    private FaultServer.Script idlingInbox(HostileImapServers.Answer firstIdle) {
      java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
      return c -> {
        int n = connections.incrementAndGet();
        HostileImapServers.loginThen(
                "IMAP4rev1 IDLE",
                (cc, tag, cmd) -> cc.send(tag + " OK done\r\n"),
                (cc, tag, cmd) -> {
                  if (HostileImapServers.inboxOfOne(cc, tag, cmd, 2)) {
                    return;
                  }
                  String verb = cmd.toUpperCase(java.util.Locale.ROOT);
                  if (verb.startsWith("IDLE") && n == 1) {
                    firstIdle.answer(cc, tag, cmd);
                  } else if (verb.startsWith("IDLE")) {
                    cc.send("+ idling\r\n");
                    cc.readLine(); // DONE
                    cc.send(tag + " OK idle done\r\n");
                  } else if (verb.startsWith("UID FETCH")) {
                    cc.send("* 1 FETCH (UID 1)\r\n" + tag + " OK done\r\n");
                  } else {
                    cc.send(tag + " OK done\r\n");
                  }
                })
            .run(c);
      };
    }

    /** Accepts IDLE, sends {@code response} a moment later, then only reads. */
    private static HostileImapServers.Answer whileIdling(String response) {
      return (c, tag, cmd) -> {
        c.send("+ idling\r\n");
        Thread.sleep(100);
        c.send(response);
        c.drain();
      };
    }

    /** Watches INBOX on {@code script}; returns the first cause of loss once it reconnected. */
    private MailException lossAndRecovery(FaultServer.Script script) throws Exception {
      BlockingQueue<Object> events = new LinkedBlockingQueue<>();
      Watch.Listener listener =
          new Watch.Listener() {
            @Override
            public void newMail(List<StoredMessage> messages) {}

            @Override
            public void connectionLost(MailException cause) {
              events.add(cause);
            }

            @Override
            public void reconnected() {
              events.add("back");
            }
          };
      try (FaultServer server = new FaultServer(script);
          ImapStore store =
              builder(server).reconnectDelay(Duration.ofMillis(100), Duration.ofSeconds(1)).build();
          Watch watch = store.watch(MailStore.INBOX, listener)) {
        Object lost = events.poll(5, TimeUnit.SECONDS);
        assertThat(lost).as("loss reported within a few time-outs").isInstanceOf(MailException.class);
        assertThat(events.poll(5, TimeUnit.SECONDS)).as("reconnected").isEqualTo("back");
        assertThat(watch.isActive()).isTrue();
        assertThat(server.failures()).isEmpty();
        return (MailException) lost;
      }
    }

    @Test
    void watchTellsItsListenerOnceWhenUidValidityChangedWhileDisconnected() throws Exception {
      // message 2 arrived during the outage, under a new UIDVALIDITY: the watch cannot tell it
      // from the renumbered old mail, so it signals reset instead of flooding or saying nothing;
      // a second reconnect under the same new UIDVALIDITY is no second reset
      assertThat(watchAcrossReconnects(8, false))
          .containsExactly("lost", "back", "reset", "mail Msg 3", "lost", "back");
    }

    @Test
    void watchGoesOnAfterItsListenerThrowsInReset() throws Exception {
      assertThat(watchAcrossReconnects(8, true))
          .containsExactly("lost", "back", "reset", "mail Msg 3", "lost", "back");
    }

    @Test
    void watchWithUnchangedUidValidityReportsTheMailOfTheOutageAndNoReset() throws Exception {
      assertThat(watchAcrossReconnects(7, false))
          .containsExactly("lost", "back", "mail Msg 2", "mail Msg 3", "lost", "back");
    }

    /**
     * Watches an IDLE INBOX whose connections all end in BYE during IDLE but the third: the
     * first shows one message under UIDVALIDITY 7; later ones {@code laterValidity} and a second
     * message that arrived during the outage, and on the second connection a third message
     * arrives during IDLE. Returns the listener's events once the third connection idles; with
     * {@code resetThrows} the listener's reset throws an AssertionError after recording.
     */
    private List<String> watchAcrossReconnects(long laterValidity, boolean resetThrows) throws Exception {
      java.util.concurrent.atomic.AtomicInteger selects = new java.util.concurrent.atomic.AtomicInteger();
      BlockingQueue<Integer> idling = new LinkedBlockingQueue<>();
      FaultServer.Script script =
          c -> {
            int[] connection = {0};
            int[] exists = {0};
            int[] idles = {0};
            HostileImapServers.loginThen(
                    "IMAP4rev1 IDLE",
                    (cc, tag, cmd) -> cc.send(tag + " OK done\r\n"),
                    (cc, tag, cmd) -> {
                      String verb = cmd.toUpperCase(java.util.Locale.ROOT);
                      if (verb.startsWith("SELECT") || verb.startsWith("EXAMINE")) {
                        connection[0] = selects.incrementAndGet();
                        exists[0] = connection[0] == 1 ? 1 : 2;
                      }
                      long validity = connection[0] == 1 ? 7 : laterValidity;
                      if (HostileImapServers.inbox(cc, tag, cmd, exists[0], validity, exists[0] + 1)) {
                        return;
                      }
                      if (verb.startsWith("IDLE")) {
                        idles[0]++;
                        if (connection[0] == 2 && idles[0] == 1) {
                          cc.send("+ idling\r\n");
                          exists[0] = 3;
                          cc.send("* 3 EXISTS\r\n");
                          cc.readLine(); // DONE
                          cc.send(tag + " OK idle done\r\n");
                        } else if (connection[0] < 3) {
                          whileIdling("* BYE mailbox rebuilt\r\n").answer(cc, tag, cmd);
                        } else {
                          cc.send("+ idling\r\n");
                          idling.add(connection[0]);
                          cc.readLine(); // DONE
                          cc.send(tag + " OK idle done\r\n");
                        }
                      } else if (verb.startsWith("UID FETCH")) {
                        // "n:*" matches the highest UID even below n (RFC 3501 §6.4.8)
                        cc.send("* " + exists[0] + " FETCH (UID " + exists[0] + ")\r\n" + tag + " OK done\r\n");
                      } else if (verb.startsWith("FETCH")) {
                        cc.send(oneListed(exists[0]) + tag + " OK done\r\n");
                      } else {
                        cc.send(tag + " OK done\r\n");
                      }
                    })
                .run(c);
          };
      List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
      Watch.Listener listener =
          new RecordingListener(events) {
            @Override
            public void reset() {
              super.reset();
              if (resetThrows) {
                throw new AssertionError("listener bug");
              }
            }
          };
      try (FaultServer server = new FaultServer(script);
          ImapStore store =
              builder(server).reconnectDelay(Duration.ofMillis(100), Duration.ofSeconds(1)).build();
          Watch watch = store.watch(MailStore.INBOX, listener)) {
        // the third connection idles only after the listener heard of it and of its mail
        assertThat(idling.poll(10, TimeUnit.SECONDS)).as("third connection idles").isEqualTo(3);
        assertThat(watch.isActive()).isTrue();
        assertThat(server.failures()).isEmpty();
        return List.copyOf(events);
      }
    }

    @Test
    void watchWithoutIdleOnTheServerPollsWithNoopAtTheIntervalAndReportsNewMail() throws Exception {
      java.util.concurrent.atomic.AtomicBoolean delivered = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicInteger announced = new java.util.concurrent.atomic.AtomicInteger(1);
      List<String> commands = new java.util.concurrent.CopyOnWriteArrayList<>();
      FaultServer.Script script =
          HostileImapServers.loginThen(
              "IMAP4rev1",
              (c, tag, cmd) -> {
                commands.add("NOOP");
                if (delivered.get() && announced.compareAndSet(1, 2)) {
                  c.send("* 2 EXISTS\r\n");
                }
                c.send(tag + " OK done\r\n");
              },
              (c, tag, cmd) -> {
                commands.add(cmd);
                if (HostileImapServers.inboxOfOne(c, tag, cmd, 2)) {
                  return;
                }
                String verb = cmd.toUpperCase(java.util.Locale.ROOT);
                int last = announced.get();
                if (verb.startsWith("UID FETCH")) {
                  c.send("* " + last + " FETCH (UID " + last + ")\r\n" + tag + " OK done\r\n");
                } else if (verb.startsWith("FETCH")) {
                  c.send(oneListed(last) + tag + " OK done\r\n");
                } else {
                  c.send(tag + " OK done\r\n");
                }
              });
      ManualScheduler scheduler = new ManualScheduler(ManualClock.ofDefaults());
      BlockingQueue<String> subjects = new LinkedBlockingQueue<>();
      try (FaultServer server = new FaultServer(script);
          ImapStore store =
              builder(server)
                  .readTimeout(Duration.ofSeconds(5))
                  .pollInterval(Duration.ofMinutes(1))
                  .clock(scheduler.clock())
                  .scheduler(scheduler)
                  .build();
          Watch watch =
              store.watch(MailStore.INBOX, msgs -> msgs.forEach(m -> subjects.add(m.subject().orElse(""))))) {
        delivered.set(true);
        scheduler.advance(Duration.ofSeconds(59));
        assertThat(subjects.poll(300, TimeUnit.MILLISECONDS)).as("no poll before the interval").isNull();
        assertThat(commands).doesNotContain("NOOP");

        scheduler.advance(Duration.ofSeconds(1));
        assertThat(subjects.poll(5, TimeUnit.SECONDS)).isEqualTo("Msg 2");
        assertThat(commands).filteredOn("NOOP"::equals).hasSize(1);
        assertThat(commands).noneMatch(c -> c.toUpperCase(java.util.Locale.ROOT).startsWith("IDLE"));
        assertThat(watch.isActive()).isTrue();
        assertThat(server.failures()).isEmpty();
      }
    }

    @Test
    void watchWhoseServerNeverAnswersDoneReconnectsWithinTheReadTimeOut() throws Exception {
      MailException cause =
          lossAndRecovery(
              idlingInbox(
                  (c, tag, cmd) -> {
                    c.send("+ idling\r\n");
                    c.readLine(); // DONE, never answered
                    c.drain();
                  }));
      assertThat(cause).isInstanceOf(MailConnectionException.class);
    }

    @Test
    void malformedResponseDuringIdleIsAConnectionLossNotADeadWatchThread() throws Exception {
      // Angus's parser threw ArrayIndexOutOfBoundsException on this, which ended the watch's
      // thread: the watch stayed "active" and never reported anything again
      MailException cause = lossAndRecovery(idlingInbox(whileIdling("* 1 FETCH (FLAGS (\\Seen\r\n")));
      assertThat(cause).isInstanceOf(MailException.class);
    }

    @Test
    void byeDuringIdleIsAConnectionLossAndTheWatchReconnects() throws Exception {
      MailException cause = lossAndRecovery(idlingInbox(whileIdling("* BYE server shutting down\r\n")));
      assertThat(cause).isInstanceOf(MailConnectionException.class);
      assertThat(cause.isTemporary()).isTrue();
    }


  
    @Test
    void moveWithoutMoveCapabilityCopiesThenExpungesOnlyThoseMessages() throws Exception {
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      FaultServer.Script script =
          HostileImapServers.loginThen(
              "IMAP4rev1 UIDPLUS",
              (c, tag, cmd) -> c.send(tag + " OK done\r\n"),
              (c, tag, cmd) -> {
                seen.add(cmd);
                String verb = cmd.toUpperCase(java.util.Locale.ROOT);
                if (verb.startsWith("LIST") && verb.contains("ARCHIVE")) {
                  c.send("* LIST () \"/\" Archive\r\n" + tag + " OK done\r\n");
                } else if (HostileImapServers.inboxOfOne(c, tag, cmd, 6)) {
                  return;
                } else if (verb.startsWith("UID FETCH")) {
                  c.send("* 1 FETCH (UID 5)\r\n" + tag + " OK done\r\n");
                } else if (verb.contains("STORE")) {
                  c.send("* 1 FETCH (FLAGS (\\Deleted))\r\n" + tag + " OK done\r\n");
                } else if (verb.startsWith("UID EXPUNGE")) {
                  c.send("* 1 EXPUNGE\r\n" + tag + " OK done\r\n");
                } else {
                  c.send(tag + " OK done\r\n");
                }
              });
      try (FaultServer server = new FaultServer(script); ImapStore store = store(server); Folder inbox = store.inbox()) {
        assertThat(store.capabilities()).doesNotContain(StoreCapability.MOVE);
        inbox.moveTo(List.of(dev.mailcore.MessageUid.of("7:5")), "Archive");

        List<String> verbs = seen.stream().map(c -> c.toUpperCase(java.util.Locale.ROOT)).toList();
        assertThat(verbs).noneMatch(c -> c.contains("MOVE"));
        int copy = indexOf(verbs, "COPY 1 ARCHIVE");
        int flag = indexOf(verbs, "+FLAGS (\\DELETED)");
        int expunge = indexOf(verbs, "UID EXPUNGE 5");
        assertThat(copy).as("COPY, then \\Deleted, then UID EXPUNGE of that message only: " + verbs)
            .isNotNegative().isLessThan(flag);
        assertThat(flag).isLessThan(expunge);
        assertThat(server.failures()).isEmpty();
      }
    }

    @Test
    void tricklingServerTimesOutWithinTheReadTimeOut() throws IOException {
      // one byte every 100 ms never trips a 500 ms socket time-out: the read time-out must still
      // bound the whole call
      MailException e =
          failure(
              HostileImapServers.loginThen(
                  (c, tag, cmd) -> {
                    c.send("* LIST () \"/\" ");
                    for (int i = 0; i < 600; i++) {
                      c.send("x");
                      Thread.sleep(100);
                    }
                  }),
              ImapStore::folders);
      assertThat(e).isInstanceOf(MailConnectionException.class).hasMessageContaining("timed out");
    }

    @Test
    void connectionLostWhileReadingContentIsAConnectionError() throws IOException {
      FaultServer.Script script =
          HostileImapServers.loginThen(
              (c, tag, cmd) -> {
                if (HostileImapServers.inboxOfOne(c, tag, cmd, 2)) {
                  return;
                }
                String verb = cmd.toUpperCase(java.util.Locale.ROOT);
                if (verb.contains("BODY.PEEK[]")) {
                  c.send("* 1 FETCH (UID 1 BODY[]<0> {4000}\r\nSubject: cut\r\n\r\npartial");
                  throw new IOException("hang up mid-body");
                }
                if (verb.contains("FETCH")) {
                  c.send(oneListed(1) + tag + " OK done\r\n");
                } else {
                  c.send(tag + " OK done\r\n");
                }
              });
      try (FaultServer server = new FaultServer(script); ImapStore store = store(server); Folder inbox = store.inbox()) {
        StoredMessage m = inbox.list().findFirst().orElseThrow();
        assertThatThrownBy(m::message).isInstanceOf(MailConnectionException.class);
      }
    }

    @Test
    void malformedFetchResponsesEndInAMailExceptionNeverAnUncheckedOne() throws IOException {
      List<String> malformed =
          List.of(
              "* 1 FETCH (UID abc FLAGS ())\r\n",
              "* 1 FETCH (UID 1 RFC822.SIZE -5 FLAGS ())\r\n",
              "* 1 FETCH (UID 1 RFC822.SIZE 99999999999999999999 FLAGS ())\r\n",
              "* 1 FETCH (UID 1 INTERNALDATE \"yesterday\" FLAGS ())\r\n",
              "* 1 FETCH (UID 1 ENVELOPE (\"date\" \"subject\") FLAGS ())\r\n",
              "* 1 FETCH (UID 1 ENVELOPE NIL FLAGS ())\r\n",
              "* 1 FETCH (UID 1 FLAGS (\\Seen\r\n",
              "* 1 FETCH (UID 1 BODY[HEADER {5}\r\nab\r\n)\r\n",
              "* 1 FETCH UID 1\r\n",
              "* 1 FETCH (UID 1 \"\r\n",
              "* 1 FETCH (UID 1 FLAGS () BODY[HEADER] \"unterminated)\r\n",
              "* 99999999999 FETCH (UID 1)\r\n",
              "* 1 FETCH (" + "(".repeat(10_000) + "\r\n");
      for (String response : malformed) {
        FaultServer.Script script =
            HostileImapServers.loginThen(
                (c, tag, cmd) -> {
                  if (HostileImapServers.inboxOfOne(c, tag, cmd, 2)) {
                    return;
                  }
                  if (cmd.toUpperCase(java.util.Locale.ROOT).contains("FETCH")) {
                    c.send(response + tag + " OK done\r\n");
                  } else {
                    c.send(tag + " OK done\r\n");
                  }
                });
        try (FaultServer server = new FaultServer(script); ImapStore store = store(server)) {
          Throwable t =
              org.assertj.core.api.Assertions.catchThrowable(
                  () -> {
                    try (Folder inbox = store.inbox(); Stream<StoredMessage> all = inbox.list()) {
                      all.forEach(m -> m.subject());
                    }
                  });
          if (t != null) {
            assertThat(t).as(response).isInstanceOf(MailException.class);
          }
          assertThat(server.failures()).isEmpty();
        }
      }
    }

    private static String oneListed(int i) {
      String header = "Subject: Msg " + i + "\r\n\r\n";
      return "* " + i + " FETCH (UID " + i
          + " FLAGS () RFC822.SIZE 4000 INTERNALDATE \"01-Dec-2026 09:00:00 +0000\" ENVELOPE ("
          + "\"Tue, 1 Dec 2026 09:00:00 +0000\" \"Msg " + i
          + "\" ((NIL NIL \"ana\" \"shop.test\")) NIL NIL ((NIL NIL \"bob\" \"example.test\"))"
          + " NIL NIL NIL \"<" + i + "@shop.test>\") BODY[HEADER] {" + header.length() + "}\r\n"
          + header + ")\r\n";
    }

    private static int indexOf(List<String> commands, String part) {
      for (int i = 0; i < commands.size(); i++) {
        if (commands.get(i).contains(part)) {
          return i;
        }
      }
      return -1;
    }
  }

  /**
   * Records each watch event as a word ("lost", "back", "reset", "stopped") and each new
   * message as "mail " and its subject; causes of stopping in {@link #stops}.
   */
  static class RecordingListener implements Watch.Listener {
    final List<MailException> stops = Collections.synchronizedList(new ArrayList<>());
    private final java.util.Collection<String> events;

    RecordingListener(java.util.Collection<String> events) {
      this.events = events;
    }

    @Override
    public void newMail(List<StoredMessage> messages) {
      messages.forEach(m -> events.add("mail " + m.subject().orElse("")));
    }

    @Override
    public void connectionLost(MailException cause) {
      events.add("lost");
    }

    @Override
    public void reconnected() {
      events.add("back");
    }

    @Override
    public void reset() {
      events.add("reset");
    }

    @Override
    public void stopped(MailException cause) {
      stops.add(cause);
      events.add("stopped");
    }
  }
}

