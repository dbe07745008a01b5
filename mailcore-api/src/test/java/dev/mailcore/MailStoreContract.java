package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link MailStore} shares, whatever protocol it speaks. Each implementation's
 * test extends this class (from the {@code mailcore-api} test-jar) and supplies a store connected
 * to an empty test mailbox plus a way to deliver mail into its INBOX through the server's own
 * delivery path.
 *
 * <p>Cases that need a {@link StoreCapability} the store lacks are skipped; instead {@link
 * #refusesWhatItLacksNamingTheCapability()} checks that such calls throw {@link
 * UnsupportedOperationException} naming the capability.
 *
 * <p>The contract opens and closes folders itself; it never closes the store. Before checking an
 * effect that a protocol applies only at the end of a session (POP3 deletions) or that a session
 * sees only when it starts (POP3 snapshots the mailbox), it closes the folder and opens it again.
 */
public abstract class MailStoreContract {

  /**
   * Returns the store under test, connected to the test mailbox. Called several times per test, it
   * returns the same open store for the whole test. The subclass creates it (for example in a
   * {@code @BeforeEach}) on a mailbox that holds no messages and no folder but INBOX, and closes it
   * afterwards.
   */
  protected abstract MailStore store();

  /**
   * Puts {@code message} into the test mailbox's INBOX through the server's own delivery path (SMTP
   * or the server's delivery API; {@link dev.mailcore.testing.InMemoryMailStore#deliver}),
   * returning once a new session of the store would see it. The message has one From ({@code
   * <name>@shop.example}) and one To ({@code bob@example.org}) mailbox, a Message-ID, a subject and
   * a text body; it goes to the test mailbox whatever its To says. Messages delivered one after the
   * other must be listed in that order.
   */
  protected abstract void deliver(Message message);

  /**
   * Returns how long {@link #watchReportsDeliveredMessage()} waits for the watch to report new
   * mail: long enough for one poll of a polling watch. Ten seconds unless overridden.
   */
  protected Duration watchTimeout() {
    return Duration.ofSeconds(10);
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** Builds a small text message from {@code local@shop.example} to bob. */
  protected static Message message(String fromLocal, String subject, String text) {
    return Message.builder()
        .from(Mailbox.of(fromLocal, "shop.example"))
        .to(Mailbox.of("bob", "example.org"))
        .subject(subject)
        .text(text)
        .build();
  }

  private List<StoredMessage> listInbox() {
    try (Folder inbox = store().inbox();
        Stream<StoredMessage> s = inbox.list()) {
      return s.toList();
    }
  }

  private List<StoredMessage> list(Folder folder) {
    try (Stream<StoredMessage> s = folder.list()) {
      return s.toList();
    }
  }

  /** Normalizes line ends and strips the trailing ones a transfer may add. */
  private static String lines(String text) {
    return text.replace("\r\n", "\n").strip();
  }

  private static List<String> subjects(List<StoredMessage> messages) {
    return messages.stream().map(m -> m.subject().orElse("")).toList();
  }

  private static List<MessageUid> uids(List<StoredMessage> messages) {
    return messages.stream().map(StoredMessage::uid).toList();
  }

  private static List<String> folderNames(MailStore store) {
    return store.folders().stream().map(FolderInfo::name).toList();
  }

  private static void assertNamesCapability(Runnable call, StoreCapability capability) {
    assertThatThrownBy(call::run)
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining(capability.name());
  }

  // ---- the common core -------------------------------------------------------------------

  @Test
  public void emptyInboxListsNothing() {
    try (Folder inbox = store().inbox()) {
      assertThat(inbox.name()).isEqualToIgnoringCase(MailStore.INBOX);
      assertThat(inbox.messageCount()).isZero();
      assertThat(list(inbox)).isEmpty();
      assertThat(inbox.fetchNew(SyncState.initial()).messages()).isEmpty();
    }
  }

  @Test
  public void foldersIncludeInbox() {
    assertThat(folderNames(store())).anySatisfy(n -> assertThat(n).isEqualToIgnoringCase("INBOX"));
  }

  @Test
  public void listsDeliveredMessagesOldestFirstWithTheirHeaders() {
    Message first = message("ana", "First", "one");
    Message second = message("carl", "Second", "two");
    deliver(first);
    deliver(second);

    List<StoredMessage> listed = listInbox();

    assertThat(subjects(listed)).containsExactly("First", "Second");
    assertThat(uids(listed)).doesNotHaveDuplicates();
    StoredMessage m = listed.get(0);
    assertThat(m.size()).isPositive();
    // the raw fields: the parsed views (from(), to()) are StoredMessage's own logic
    assertThat(m.header("From"))
        .hasValueSatisfying(v -> assertThat(v).contains("ana@shop.example"));
    assertThat(m.header("To")).hasValueSatisfying(v -> assertThat(v).contains("bob@example.org"));
    assertThat(m.messageId()).isEqualTo(first.messageId());
    assertThat(listed.get(1).messageId()).isEqualTo(second.messageId());
  }

  @Test
  public void messageCountCountsDeliveredMessages() {
    deliver(message("ana", "One", "1"));
    deliver(message("ana", "Two", "2"));
    try (Folder inbox = store().inbox()) {
      assertThat(inbox.messageCount()).isEqualTo(2);
    }
  }

  @Test
  public void findsMessageByUid() {
    deliver(message("ana", "Wanted", "x"));
    deliver(message("ana", "Other", "y"));
    try (Folder inbox = store().inbox()) {
      StoredMessage wanted = list(inbox).get(0);
      Optional<StoredMessage> found = inbox.find(wanted.uid());
      assertThat(found)
          .hasValueSatisfying(
              m -> {
                assertThat(m.uid()).isEqualTo(wanted.uid());
                assertThat(m.subject()).contains("Wanted");
              });
    }
  }

  @Test
  public void findReturnsEmptyForUnknownUid() {
    deliver(message("ana", "Only", "x"));
    try (Folder inbox = store().inbox()) {
      List<MessageUid> known = uids(list(inbox));
      MessageUid unknown = MessageUid.of("no-such-message-999999");
      assumeFalse(known.contains(unknown));
      assertThat(inbox.find(unknown)).isEmpty();
    }
  }

  @Test
  public void contentParsesBackToTheDeliveredMessage() {
    deliver(message("ana", "Invoice 42", "Dear Bob,\r\nplease pay.\r\n"));
    try (Folder inbox = store().inbox()) {
      StoredMessage stored = list(inbox).get(0);
      Message parsed = stored.message();
      assertThat(parsed.subject()).contains("Invoice 42");
      assertThat(parsed.text())
          .hasValueSatisfying(t -> assertThat(lines(t)).isEqualTo("Dear Bob,\nplease pay."));
    }
  }

  @Test
  public void openContentStreamsTheWholeMessage() throws IOException {
    deliver(message("ana", "Raw", "body text"));
    try (Folder inbox = store().inbox()) {
      StoredMessage stored = list(inbox).get(0);
      byte[] bytes;
      try (InputStream in = stored.openContent()) {
        bytes = in.readAllBytes();
      }
      String text = new String(bytes, java.nio.charset.StandardCharsets.US_ASCII);
      assertThat(text).containsIgnoringCase("Subject: Raw").contains("body text");
    }
  }

  // ---- sync --------------------------------------------------------------------------------

  @Test
  public void fetchNewReturnsOnlyWhatArrivedSinceTheState() {
    deliver(message("ana", "A", "a"));
    deliver(message("ana", "B", "b"));
    SyncState state;
    try (Folder inbox = store().inbox()) {
      SyncResult all = inbox.fetchNew(SyncState.initial());
      assertThat(subjects(all.messages())).containsExactly("A", "B");
      state = all.next();
      assertThat(state.isInitial()).isFalse();
      SyncResult again = inbox.fetchNew(state);
      assertThat(again.messages()).isEmpty();
      assertThat(again.reset()).isFalse();
      state = again.next();
    }

    deliver(message("ana", "C", "c"));
    deliver(message("ana", "D", "d"));
    deliver(message("ana", "E", "e"));

    try (Folder inbox = store().inbox()) {
      SyncResult later = inbox.fetchNew(state);
      assertThat(later.reset()).isFalse();
      assertThat(subjects(later.messages())).containsExactly("C", "D", "E");
      assertThat(inbox.fetchNew(later.next()).messages()).isEmpty();
    }
  }

  @Test
  public void syncStateSurvivesEncodingRoundTrip() {
    deliver(message("ana", "A", "a"));
    String saved;
    try (Folder inbox = store().inbox()) {
      saved = inbox.fetchNew(SyncState.initial()).next().encoded();
    }
    SyncState restored = SyncState.parse(saved);
    assertThat(restored.encoded()).isEqualTo(saved);

    deliver(message("ana", "B", "b"));
    try (Folder inbox = store().inbox()) {
      assertThat(subjects(inbox.fetchNew(restored).messages())).containsExactly("B");
    }
  }

  @Test
  public void fetchNewRejectsStateOfAnotherKindOfStore() {
    try (Folder inbox = store().inbox()) {
      assertThatThrownBy(() -> inbox.fetchNew(SyncState.parse("not-a-state-of-this-store")))
          .isInstanceOf(MailFormatException.class);
    }
  }

  // ---- delete and stability ----------------------------------------------------------------

  @Test
  public void deleteRemovesMessages() {
    deliver(message("ana", "Keep", "k"));
    deliver(message("ana", "Drop", "d"));
    try (Folder inbox = store().inbox()) {
      StoredMessage drop = list(inbox).get(1);
      inbox.delete(List.of(drop.uid()));
    }
    try (Folder inbox = store().inbox()) {
      assertThat(subjects(list(inbox))).containsExactly("Keep");
      assertThat(inbox.messageCount()).isEqualTo(1);
    }
  }

  @Test
  public void deleteIgnoresUnknownUids() {
    deliver(message("ana", "Keep", "k"));
    try (Folder inbox = store().inbox()) {
      inbox.delete(List.of(MessageUid.of("no-such-message-999999")));
    }
    assertThat(subjects(listInbox())).containsExactly("Keep");
  }

  @Test
  public void uidsStayTheSameAcrossSessions() {
    deliver(message("ana", "A", "a"));
    deliver(message("ana", "B", "b"));
    List<MessageUid> first = uids(listInbox());
    deliver(message("ana", "C", "c"));
    List<MessageUid> second = uids(listInbox());
    assertThat(second).hasSize(3).startsWith(first.toArray(new MessageUid[0]));
    try (Folder inbox = store().inbox()) {
      assertThat(inbox.find(first.get(1)))
          .hasValueSatisfying(m -> assertThat(m.subject()).contains("B"));
    }
  }

  // ---- flags -------------------------------------------------------------------------------

  @Test
  public void addsAndRemovesFlags() {
    assumeTrue(store().has(StoreCapability.FLAGS));
    deliver(message("ana", "Flag me", "f"));
    MessageUid uid;
    try (Folder inbox = store().inbox()) {
      uid = list(inbox).get(0).uid();
      inbox.addFlags(List.of(uid), Set.of(Flag.SEEN, Flag.FLAGGED));
    }
    try (Folder inbox = store().inbox()) {
      assertThat(inbox.find(uid).orElseThrow().flags()).contains(Flag.SEEN, Flag.FLAGGED);
      inbox.removeFlags(List.of(uid), Set.of(Flag.SEEN));
    }
    try (Folder inbox = store().inbox()) {
      Set<Flag> flags = inbox.find(uid).orElseThrow().flags();
      assertThat(flags).contains(Flag.FLAGGED).doesNotContain(Flag.SEEN);
    }
  }

  // ---- search ------------------------------------------------------------------------------

  @Test
  public void searchesByFromAndSubject() {
    assumeTrue(store().has(StoreCapability.SEARCH));
    deliver(message("ana", "Invoice March", "x"));
    deliver(message("carl", "Lunch?", "y"));
    deliver(message("ana", "Hello again", "z"));
    try (Folder inbox = store().inbox()) {
      assertThat(subjects(inbox.search(SearchQuery.builder().from("ana@shop.example").build())))
          .containsExactlyInAnyOrder("Invoice March", "Hello again");
      assertThat(subjects(inbox.search(SearchQuery.builder().subject("invoice").build())))
          .containsExactly("Invoice March");
      assertThat(subjects(inbox.search(SearchQuery.builder().from("ana").subject("hello").build())))
          .containsExactly("Hello again");
    }
  }

  @Test
  public void searchesUnseen() {
    assumeTrue(store().has(StoreCapability.SEARCH) && store().has(StoreCapability.FLAGS));
    deliver(message("ana", "Read", "x"));
    deliver(message("ana", "Unread", "y"));
    try (Folder inbox = store().inbox()) {
      MessageUid read = list(inbox).get(0).uid();
      inbox.addFlags(List.of(read), Set.of(Flag.SEEN));
      assertThat(subjects(inbox.search(SearchQuery.builder().unseen().build())))
          .containsExactly("Unread");
    }
  }

  @Test
  public void searchesLargerThan() {
    assumeTrue(store().has(StoreCapability.SEARCH));
    deliver(message("ana", "Small", "tiny"));
    deliver(message("ana", "Large", "x".repeat(20_000)));
    try (Folder inbox = store().inbox()) {
      assertThat(subjects(inbox.search(SearchQuery.builder().largerThan(10_000).build())))
          .containsExactly("Large");
    }
  }

  // ---- folders -----------------------------------------------------------------------------

  @Test
  public void createsRenamesAndDeletesFolders() {
    assumeTrue(store().has(StoreCapability.FOLDERS));
    MailStore store = store();
    store.createFolder("Projects");
    assertThat(folderNames(store)).contains("Projects");
    try (Folder f = store.open("Projects")) {
      assertThat(f.name()).isEqualTo("Projects");
      assertThat(f.messageCount()).isZero();
    }

    store.renameFolder("Projects", "Archive");
    assertThat(folderNames(store)).contains("Archive").doesNotContain("Projects");

    store.deleteFolder("Archive");
    assertThat(folderNames(store)).doesNotContain("Archive", "Projects");
  }

  @Test
  public void openingMissingFolderFails() {
    assumeTrue(store().has(StoreCapability.FOLDERS));
    assertThatThrownBy(() -> store().open("NoSuchFolder").close())
        .isInstanceOf(MailException.class);
  }

  @Test
  public void creatingExistingFolderFails() {
    assumeTrue(store().has(StoreCapability.FOLDERS));
    store().createFolder("Twice");
    assertThatThrownBy(() -> store().createFolder("Twice")).isInstanceOf(MailException.class);
  }

  @Test
  public void copiesMessagesToAnotherFolder() {
    assumeTrue(store().has(StoreCapability.FOLDERS));
    store().createFolder("Archive");
    deliver(message("ana", "Copied", "c"));
    try (Folder inbox = store().inbox()) {
      inbox.copyTo(uids(list(inbox)), "Archive");
    }
    assertThat(subjects(listInbox())).containsExactly("Copied");
    try (Folder archive = store().open("Archive")) {
      List<StoredMessage> copies = list(archive);
      assertThat(subjects(copies)).containsExactly("Copied");
      assertThat(copies.get(0).message().text())
          .hasValueSatisfying(t -> assertThat(lines(t)).isEqualTo("c"));
    }
  }

  @Test
  public void movesMessagesToAnotherFolder() {
    assumeTrue(store().has(StoreCapability.FOLDERS));
    store().createFolder("Archive");
    deliver(message("ana", "Moved", "m"));
    deliver(message("ana", "Stays", "s"));
    try (Folder inbox = store().inbox()) {
      inbox.moveTo(List.of(list(inbox).get(0).uid()), "Archive");
    }
    assertThat(subjects(listInbox())).containsExactly("Stays");
    try (Folder archive = store().open("Archive")) {
      assertThat(subjects(list(archive))).containsExactly("Moved");
    }
  }

  @Test
  public void copyToMissingFolderFails() {
    assumeTrue(store().has(StoreCapability.FOLDERS));
    deliver(message("ana", "Lost?", "l"));
    try (Folder inbox = store().inbox()) {
      List<MessageUid> all = uids(list(inbox));
      assertThatThrownBy(() -> inbox.copyTo(all, "NoSuchFolder")).isInstanceOf(MailException.class);
    }
    assertThat(subjects(listInbox())).containsExactly("Lost?");
  }

  // ---- append ------------------------------------------------------------------------------

  @Test
  public void appendsMessage() {
    assumeTrue(store().has(StoreCapability.APPEND));
    Message sent = message("bob", "Sent copy", "appended");
    Optional<MessageUid> uid;
    try (Folder inbox = store().inbox()) {
      uid = inbox.append(sent, Set.of(Flag.SEEN));
    }
    try (Folder inbox = store().inbox()) {
      List<StoredMessage> listed = list(inbox);
      assertThat(subjects(listed)).containsExactly("Sent copy");
      StoredMessage m = listed.get(0);
      assertThat(m.messageId()).isEqualTo(sent.messageId());
      uid.ifPresent(u -> assertThat(m.uid()).isEqualTo(u));
      if (store().has(StoreCapability.FLAGS)) {
        assertThat(m.flags()).contains(Flag.SEEN);
      }
      assertThat(m.message().text())
          .hasValueSatisfying(t -> assertThat(lines(t)).isEqualTo("appended"));
    }
  }

  // ---- watch -------------------------------------------------------------------------------

  @Test
  public void watchReportsDeliveredMessage() throws InterruptedException {
    CountDownLatch arrived = new CountDownLatch(1);
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    Consumer<List<StoredMessage>> onMail =
        messages -> {
          messages.forEach(m -> seen.add(m.subject().orElse("")));
          if (seen.contains("Pushed")) {
            arrived.countDown();
          }
        };
    deliver(message("ana", "Before", "b"));
    try (Watch watch = store().watch(MailStore.INBOX, onMail::accept)) {
      assertThat(watch.isActive()).isTrue();
      deliver(message("ana", "Pushed", "p"));
      // a real-time wait for the push (or one poll): the only way to observe the watch thread
      boolean reported = arrived.await(watchTimeout().toMillis(), TimeUnit.MILLISECONDS);
      assertThat(reported)
          .as("watch reported the delivered message within " + watchTimeout())
          .isTrue();
      assertThat(seen).containsOnlyOnce("Pushed").doesNotContain("Before");
      watch.close();
      assertThat(watch.isActive()).isFalse();
    }
  }

  // ---- capabilities ------------------------------------------------------------------------

  @Test
  public void capabilitiesAreConsistent() {
    Set<StoreCapability> caps = store().capabilities();
    if (caps.contains(StoreCapability.MOVE)) {
      assertThat(caps).contains(StoreCapability.FOLDERS);
    }
    for (StoreCapability c : StoreCapability.values()) {
      assertThat(store().has(c)).isEqualTo(caps.contains(c));
    }
    if (!caps.contains(StoreCapability.FOLDERS)) {
      assertThat(folderNames(store())).hasSize(1);
    }
  }

  @Test
  public void refusesWhatItLacksNamingTheCapability() {
    MailStore store = store();
    deliver(message("ana", "Probe", "p"));
    try (Folder inbox = store.inbox()) {
      List<MessageUid> all = uids(list(inbox));
      if (!store.has(StoreCapability.FOLDERS)) {
        assertNamesCapability(() -> store.createFolder("Other"), StoreCapability.FOLDERS);
        assertNamesCapability(() -> store.renameFolder("A", "B"), StoreCapability.FOLDERS);
        assertNamesCapability(() -> store.deleteFolder("Other"), StoreCapability.FOLDERS);
        assertNamesCapability(() -> store.open("Other").close(), StoreCapability.FOLDERS);
        assertNamesCapability(() -> inbox.copyTo(all, "Other"), StoreCapability.FOLDERS);
        assertNamesCapability(() -> inbox.moveTo(all, "Other"), StoreCapability.FOLDERS);
      }
      if (!store.has(StoreCapability.FLAGS)) {
        assertNamesCapability(() -> inbox.addFlags(all, Set.of(Flag.SEEN)), StoreCapability.FLAGS);
        assertNamesCapability(
            () -> inbox.removeFlags(all, Set.of(Flag.SEEN)), StoreCapability.FLAGS);
        assertThat(list(inbox)).allSatisfy(m -> assertThat(m.flags()).isEmpty());
      }
      if (!store.has(StoreCapability.SEARCH)) {
        assertNamesCapability(
            () -> inbox.search(SearchQuery.builder().subject("x").build()), StoreCapability.SEARCH);
      }
      if (!store.has(StoreCapability.APPEND)) {
        assertNamesCapability(
            () -> inbox.append(message("bob", "x", "y"), Set.of()), StoreCapability.APPEND);
      }
    }
    // nothing refused may have changed the mailbox
    assertThat(subjects(listInbox())).containsExactly("Probe");
  }
}
