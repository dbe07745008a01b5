package dev.mailcore.pop3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Credentials;
import dev.mailcore.Folder;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.StoredMessage;
import dev.mailcore.TlsMode;
import dev.mailcore.testnet.StartTlsFront;
import dev.mailcore.testnet.TestTls;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * STLS (RFC 2595 §4) through a {@link StartTlsFront} before GreenMail's plain POP3 port: GreenMail
 * 2.1 offers no STLS of its own. Every failure must be clear and must not fall back to sending
 * USER and PASS in plain text.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Pop3StartTlsTest {
  private GreenMailPop3 server;

  @BeforeEach
  void start() {
    server = new GreenMailPop3();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private StartTlsFront front(StartTlsFront.Behaviour behaviour) throws IOException {
    return new StartTlsFront(StartTlsFront.Protocol.POP3, behaviour, server.pop3Port());
  }

  private static Pop3Store.Builder via(String host, StartTlsFront front, TlsMode mode) {
    return Pop3Store.builder()
        .host(host)
        .port(front.port())
        .tls(mode)
        .sslContext(TestTls.clientContext())
        .credentials(Credentials.password(GreenMailPop3.USER, GreenMailPop3.PASSWORD))
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(5));
  }

  /** Logs in and counts the messages (capabilities() of POP3 needs no connection). */
  private static void connect(Pop3Store store) {
    try (Folder inbox = store.inbox()) {
      inbox.messageCount();
    }
  }

  @Test
  void upgradesToTlsBeforeLoggingIn() throws IOException {
    server.deliver(
        Message.builder()
            .from(Mailbox.of("ana", "shop.example"))
            .to(Mailbox.of("bob", "example.org"))
            .subject("Over STLS")
            .text("hello")
            .build());
    try (StartTlsFront front = front(StartTlsFront.Behaviour.UPGRADE);
        Pop3Store store = via("localhost", front, TlsMode.STARTTLS).build();
        Folder inbox = store.inbox();
        Stream<StoredMessage> s = inbox.list()) {
      assertThat(s.map(m -> m.subject().orElse(""))).containsExactly("Over STLS");
      assertThat(front.upgrades()).isPositive();
      assertThat(front.plainLines()).anyMatch(l -> l.toUpperCase(Locale.ROOT).equals("STLS"));
      assertThat(front.sawPlainCredentials()).isFalse();
    }
  }

  @Test
  void untrustedCertificateFailsAndNeverFallsBackToPlainText() throws IOException {
    try (StartTlsFront front = front(StartTlsFront.Behaviour.UPGRADE);
        Pop3Store store =
            Pop3Store.builder() // the JDK's default trust: the test certificate is unknown
                .host("localhost")
                .port(front.port())
                .tls(TlsMode.STARTTLS)
                .credentials(Credentials.password(GreenMailPop3.USER, GreenMailPop3.PASSWORD))
                .connectTimeout(Duration.ofSeconds(5))
                .readTimeout(Duration.ofSeconds(5))
                .build()) {
      assertThatThrownBy(() -> connect(store))
          .isInstanceOf(MailConnectionException.class)
          .satisfies(e -> assertThat(((MailException) e).isPermanent()).isTrue());
      assertThat(front.upgrades()).isZero();
      assertThat(front.sawPlainCredentials()).isFalse();
    }
  }

  @Test
  void certificateForAnotherHostFailsTheUpgrade() throws IOException {
    // the certificate names localhost and 127.0.0.1; 127.0.0.2 is loopback too, but not named
    InetAddress other = InetAddress.getByName("127.0.0.2");
    try (StartTlsFront front =
            new StartTlsFront(
                StartTlsFront.Protocol.POP3, StartTlsFront.Behaviour.UPGRADE, server.pop3Port(), other);
        Pop3Store store = via("127.0.0.2", front, TlsMode.STARTTLS).build()) {
      assertThatThrownBy(() -> connect(store))
          .isInstanceOf(MailConnectionException.class)
          .satisfies(e -> assertThat(((MailException) e).isPermanent()).isTrue());
      assertThat(front.sawPlainCredentials()).isFalse();
    }
  }

  @Test
  void serverWithoutStlsIsRefusedWhenTlsIsRequired() throws IOException {
    for (TlsMode mode : List.of(TlsMode.STARTTLS, TlsMode.STARTTLS_IF_OFFERED)) {
      try (StartTlsFront front = front(StartTlsFront.Behaviour.NOT_OFFERED);
          Pop3Store store = via("localhost", front, mode).build()) {
        assertThatThrownBy(() -> connect(store))
            .as(mode.toString())
            .isInstanceOf(MailException.class)
            .hasMessageContaining("STLS");
        assertThat(front.sawPlainCredentials()).as(mode + ": no downgrade").isFalse();
      }
    }
  }

  @Test
  void stlsAnsweredWithAnErrorFailsClearly() throws IOException {
    try (StartTlsFront front = front(StartTlsFront.Behaviour.REFUSE);
        Pop3Store store = via("localhost", front, TlsMode.STARTTLS).build()) {
      assertThatThrownBy(() -> connect(store))
          .isInstanceOf(MailException.class)
          .hasMessageContaining("STLS");
      assertThat(front.sawPlainCredentials()).isFalse();
    }
  }
}
