package dev.mailcore.pop3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Credentials;
import dev.mailcore.Folder;
import dev.mailcore.MailAuthenticationException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailStore;
import dev.mailcore.MailStoreContract;
import dev.mailcore.MailStores;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.StoredMessage;
import dev.mailcore.SyncResult;
import dev.mailcore.SyncState;
import dev.mailcore.Watch;
import dev.mailcore.testnet.FaultServer;
import dev.mailcore.testnet.TcpProxy;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Pop3StoreTest {

  /** The shared contract on a fresh GreenMail per test. */
  abstract class OnGreenMailContract extends MailStoreContract {
    GreenMailPop3 server;
    private Pop3Store store;

    abstract Pop3Store build();

    @BeforeEach
    void start() {
      server = new GreenMailPop3();
      store = build();
    }

    @AfterEach
    void stop() {
      store.close();
      server.close();
    }

    @Override
    protected MailStore store() {
      return store;
    }

    @Override
    protected void deliver(Message message) {
      server.deliver(message);
    }

    @Override
    protected Duration watchTimeout() {
      return Duration.ofSeconds(3);
    }
  }

  /** The shared contract over plain text. */
  @Nested
  class PlainContract extends OnGreenMailContract {
    @Override
    Pop3Store build() {
      return server.plain(server.pop3Port()).build();
    }
  }

  /** The shared contract over implicit TLS, with certificate and host-name checks. */
  @Nested
  class TlsContract extends OnGreenMailContract {
    @Override
    Pop3Store build() {
      return server.tls().build();
    }
  }

  /** POP3-specific behaviour on GreenMail. */
  @Nested
  class OnGreenMail {
    private GreenMailPop3 server;

    @BeforeEach
    void start() {
      server = new GreenMailPop3();
    }

    @AfterEach
    void stop() {
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

    private List<String> subjects(Pop3Store store) {
      try (Folder inbox = store.inbox(); Stream<StoredMessage> s = inbox.list()) {
        return s.map(m -> m.subject().orElse("")).toList();
      }
    }

    @Test
    void hasNoCapabilities() {
      try (Pop3Store store = server.plain(server.pop3Port()).build()) {
        assertThat(store.capabilities()).isEmpty();
      }
    }

    private String drain(StoredMessage m) {
      try (var in = m.openContent()) {
        return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Test
    void listingReadsUidlAndListOnceAndTopsEachMessageThenRetrievesOnOpen() throws IOException {
      server.deliver(message("One"));
      server.deliver(message("Two"));
      try (CommandRecorder wire = new CommandRecorder(server.pop3Port());
          Pop3Store store = server.plain(wire.port()).build();
          Folder inbox = store.inbox()) {
        List<StoredMessage> all;
        try (Stream<StoredMessage> s = inbox.list()) {
          all = s.toList();
        }
        assertThat(all).extracting(m -> m.subject().orElse("")).containsExactly("One", "Two");
        assertThat(inbox.find(all.get(0).uid())).isPresent();
        assertThat(wire.count("UIDL")).isEqualTo(1);
        assertThat(wire.count("LIST")).isEqualTo(1);
        assertThat(wire.count("TOP")).isEqualTo(3);
        assertThat(wire.count("RETR")).isZero();
        assertThat(drain(all.get(1))).contains("text of Two");
        assertThat(wire.count("RETR")).isEqualTo(1);
      }
    }

    @Test
    void prefetchBodiesRetrievesEachMessageOnceWithoutTop() throws IOException {
      server.deliver(message("One"));
      server.deliver(message("Two"));
      try (CommandRecorder wire = new CommandRecorder(server.pop3Port());
          Pop3Store store = server.plain(wire.port()).prefetchBodies(64 * 1024).build();
          Folder inbox = store.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        List<String> texts = s.map(m -> m.subject().orElse("") + ":" + drain(m)).toList();
        assertThat(texts).hasSize(2);
        assertThat(texts.get(0)).startsWith("One:").contains("Subject: One", "text of One");
        assertThat(texts.get(1)).startsWith("Two:").contains("text of Two");
        assertThat(wire.count("RETR")).isEqualTo(2);
        assertThat(wire.count("TOP")).isZero();
        assertThat(wire.count("UIDL")).isEqualTo(1);
        assertThat(wire.count("LIST")).isEqualTo(1);
      }
    }

    @Test
    void prefetchBodiesTopsMessagesLargerThanTheLimit() throws IOException {
      server.deliver(message("Small"));
      server.deliver(
          Message.builder()
              .from(Mailbox.of("ana", "shop.example"))
              .to(Mailbox.of("bob", "example.org"))
              .subject("Large")
              .text("line of a large message\r\n".repeat(400))
              .build());
      try (CommandRecorder wire = new CommandRecorder(server.pop3Port());
          Pop3Store store = server.plain(wire.port()).prefetchBodies(4096).build();
          Folder inbox = store.inbox()) {
        List<StoredMessage> all;
        try (Stream<StoredMessage> s = inbox.list()) {
          all = s.toList();
        }
        assertThat(all).extracting(m -> m.subject().orElse("")).containsExactly("Small", "Large");
        assertThat(wire.count("RETR")).isEqualTo(1);
        assertThat(wire.count("TOP")).isEqualTo(1);
        assertThat(drain(all.get(0))).contains("text of Small");
        assertThat(drain(all.get(1))).contains("line of a large message");
        assertThat(wire.count("RETR")).isEqualTo(2);
      }
    }

    @Test
    void negativePrefetchLimitIsRejected() {
      assertThatThrownBy(() -> Pop3Store.builder().prefetchBodies(-1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("-1");
    }

    @Test
    void idsAreTheServersUidls() {
      server.deliver(message("One"));
      try (Pop3Store store = server.plain(server.pop3Port()).build();
          Folder inbox = store.inbox();
          Stream<StoredMessage> s = inbox.list()) {
        StoredMessage m = s.findFirst().orElseThrow();
        assertThat(m.uid().value()).isNotBlank().doesNotContain(":");
        assertThat(m.flags()).isEmpty();
      }
    }

    @Test
    void deleteAfterDownloadRemovesFetchedMessagesAtQuit() {
      server.deliver(message("A"));
      server.deliver(message("B"));
      try (Pop3Store store = server.plain(server.pop3Port()).deleteAfterDownload(true).build()) {
        try (Folder inbox = store.inbox()) {
          SyncResult r = inbox.fetchNew(SyncState.initial());
          assertThat(r.messages()).hasSize(2);
          // the caller has them: content still readable until QUIT
          assertThat(r.messages().get(0).openContent()).isNotNull();
        }
        assertThat(subjects(store)).isEmpty();
      }
    }

    @Test
    void connectionDroppedBeforeQuitDeletesNothing() throws Exception {
      server.deliver(message("A"));
      server.deliver(message("B"));
      try (TcpProxy proxy = new TcpProxy(server.pop3Port());
          Pop3Store viaProxy = server.plain(proxy.port()).deleteAfterDownload(true).build()) {
        Folder inbox = viaProxy.inbox();
        SyncResult r = inbox.fetchNew(SyncState.initial());
        assertThat(r.messages()).hasSize(2);
        inbox.delete(List.of(r.messages().get(0).uid()));
        proxy.cut();
        assertThatThrownBy(inbox::close).isInstanceOf(MailConnectionException.class);
      }
      try (Pop3Store direct = server.plain(server.pop3Port()).build()) {
        assertThat(subjects(direct)).containsExactly("A", "B");
      }
    }

    @Test
    void leaveOnServerKeepsMessagesAndSyncSkipsThem() {
      server.deliver(message("A"));
      SyncState state;
      try (Pop3Store store = server.plain(server.pop3Port()).leaveOnServer(true).build()) {
        try (Folder inbox = store.inbox()) {
          state = inbox.fetchNew(SyncState.initial()).next();
        }
        server.deliver(message("B"));
        try (Folder inbox = store.inbox()) {
          SyncResult r = inbox.fetchNew(state);
          assertThat(r.messages()).extracting(m -> m.subject().orElse("")).containsExactly("B");
          assertThat(r.reset()).isFalse();
        }
        assertThat(subjects(store)).containsExactly("A", "B");
      }
    }

    @Test
    void laterSessionDeletesWhatAnEarlierStateAlreadySaw() {
      server.deliver(message("A"));
      SyncState state;
      try (Pop3Store keep = server.plain(server.pop3Port()).build(); Folder inbox = keep.inbox()) {
        state = inbox.fetchNew(SyncState.initial()).next();
      }
      server.deliver(message("B"));
      try (Pop3Store delete = server.plain(server.pop3Port()).deleteAfterDownload(true).build()) {
        try (Folder inbox = delete.inbox()) {
          assertThat(inbox.fetchNew(state).messages())
              .extracting(m -> m.subject().orElse(""))
              .containsExactly("B");
        }
        assertThat(subjects(delete)).isEmpty();
      }
    }

    @Test
    void pollingWatchReportsLossAndRecovery() throws Exception {
      try (TcpProxy proxy = new TcpProxy(server.pop3Port());
          Pop3Store viaProxy = server.plain(proxy.port()).build()) {
        CountDownLatch lost = new CountDownLatch(1);
        CountDownLatch back = new CountDownLatch(1);
        CountDownLatch mail = new CountDownLatch(1);
        Watch.Listener listener =
            new Watch.Listener() {
              @Override
              public void newMail(List<StoredMessage> messages) {
                mail.countDown();
              }

              @Override
              public void connectionLost(MailException cause) {
                lost.countDown();
              }

              @Override
              public void reconnected() {
                back.countDown();
              }
            };
        try (Watch watch = viaProxy.watch(MailStore.INBOX, listener)) {
          proxy.refuse(true);
          assertThat(lost.await(5, TimeUnit.SECONDS)).as("failed poll reported").isTrue();
          server.deliver(message("While down"));
          proxy.refuse(false);
          assertThat(back.await(5, TimeUnit.SECONDS)).as("recovered").isTrue();
          assertThat(mail.await(5, TimeUnit.SECONDS)).as("mail after recovery").isTrue();
          assertThat(watch.isActive()).isTrue();
        }
      }
    }

    @Test
    void wrongPasswordIsAnAuthenticationFailure() {
      try (Pop3Store wrong =
          server.plain(server.pop3Port()).credentials(Credentials.password("bob", "nope")).build()) {
        assertThatThrownBy(wrong::inbox)
            .isInstanceOf(MailAuthenticationException.class)
            .hasMessageNotContaining("nope");
      }
    }

    @Test
    void refusesPlainTextLoginUnlessAllowed() {
      try (Pop3Store plain = server.plain(server.pop3Port()).allowPlaintext(false).build()) {
        assertThatThrownBy(plain::inbox)
            .isInstanceOf(MailAuthenticationException.class)
            .hasMessageContaining("allowPlaintext");
      }
    }

    @Test
    void mailStoresOpensPop3Uris() {
      URI uri = URI.create("pop3://127.0.0.1:" + server.pop3Port() + "?tls=none&allowPlaintext=true");
      try (MailStore opened = MailStores.open(uri, Credentials.password("bob", "secret"))) {
        assertThat(opened).isInstanceOf(Pop3Store.class);
        assertThat(opened.folders()).hasSize(1);
      }
    }
  }

  /** Hostile servers end in clear errors within the time-out, never a hang or OutOfMemoryError. */
  @Nested
  @Timeout(value = 15, unit = TimeUnit.SECONDS)
  class HostileServer {
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    /** Greets and accepts USER/PASS, then lets {@code after} answer. */
    private FaultServer.Script loginThen(FaultServer.Script after) {
      return c -> {
        c.send("+OK hostile POP3 ready\r\n");
        String line;
        while ((line = c.readLine()) != null) {
          String verb = line.split(" ", 2)[0].toUpperCase(java.util.Locale.ROOT);
          if (verb.equals("CAPA")) {
            c.send("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n");
          } else if (verb.equals("USER") || verb.equals("PASS") || verb.equals("NOOP")) {
            c.send("+OK\r\n");
          } else if (verb.equals("STAT")) {
            c.send("+OK 1 100\r\n");
            after.run(c);
            return;
          } else {
            c.send("-ERR unexpected\r\n");
          }
        }
      };
    }

    private MailException failure(FaultServer.Script script) throws IOException {
      try (FaultServer server = new FaultServer(script);
          Pop3Store store =
              Pop3Store.builder()
                  .host("127.0.0.1")
                  .port(server.port())
                  .tls(dev.mailcore.TlsMode.NONE)
                  .allowPlaintext(true)
                  .credentials(Credentials.password("bob", "secret"))
                  .connectTimeout(TIMEOUT)
                  .readTimeout(TIMEOUT)
                  .build()) {
        long start = System.nanoTime();
        Throwable t =
            org.assertj.core.api.Assertions.catchThrowable(
                () -> {
                  try (Folder inbox = store.inbox(); Stream<StoredMessage> s = inbox.list()) {
                    s.forEach(m -> m.subject());
                  }
                });
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(t).isInstanceOf(MailException.class);
        assertThat(took).as("failed within a few time-outs").isLessThan(Duration.ofSeconds(5));
        assertThat(server.failures()).isEmpty();
        return (MailException) t;
      }
    }

    @Test
    void silentServerTimesOut() throws IOException {
      MailException e = failure(c -> c.drain());
      assertThat(e).isInstanceOf(MailConnectionException.class).hasMessageContaining("timed out");
    }

    @Test
    void endlessGreetingIsAProtocolError() throws IOException {
      MailException e =
          failure(
              c -> {
                c.send("+OK ");
                c.sendEndless((byte) 'x', 40L * 1024 * 1024);
                c.drain();
              });
      assertThat(e).isInstanceOf(dev.mailcore.MailProtocolException.class).hasMessageContaining("line");
    }

    @Test
    void endlessLineInUidlIsAProtocolError() throws IOException {
      MailException e =
          failure(
              loginThen(
                  c -> {
                    c.readLine(); // UIDL
                    c.send("+OK\r\n1 ");
                    c.sendEndless((byte) 'u', 40L * 1024 * 1024);
                    c.drain();
                  }));
      assertThat(e).isInstanceOf(dev.mailcore.MailProtocolException.class);
    }

    @Test
    void disconnectMidResponseIsAConnectionError() throws IOException {
      MailException e =
          failure(
              loginThen(
                  c -> {
                    c.readLine();
                    c.send("+OK\r\n1 ab");
                  }));
      assertThat(e).isInstanceOf(MailConnectionException.class);
    }

    @Test
    void garbageInsteadOfStatusIsAnError() throws IOException {
      failure(c -> {
        c.send("HELLO? this is not POP3\r\n");
        c.drain();
      });
    }

    @Test
    void silenceAfterLoginTimesOut() throws IOException {
      MailException e = failure(loginThen(c -> c.drain()));
      assertThat(e).isInstanceOf(MailConnectionException.class);
    }
  }
}
