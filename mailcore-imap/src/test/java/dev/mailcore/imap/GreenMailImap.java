package dev.mailcore.imap;

import com.icegreen.greenmail.util.ServerSetupTest;
import dev.mailcore.TlsMode;
import dev.mailcore.testnet.GreenMailServer;
import dev.mailcore.testnet.TestTls;
import java.time.Duration;

/** A GreenMail server (SMTP, IMAP, IMAPS on loopback ephemeral ports) with one user, bob. */
final class GreenMailImap extends GreenMailServer {

  GreenMailImap() {
    super(ServerSetupTest.IMAP, ServerSetupTest.IMAPS);
  }

  int imapPort() {
    return greenMail.getImap().getPort();
  }

  int imapsPort() {
    return greenMail.getImaps().getPort();
  }

  /** A plain-text store on {@code port} (the IMAP port or a proxy in front of it). */
  ImapStore.Builder plain(int port) {
    return ImapStore.builder()
        .host("127.0.0.1")
        .port(port)
        .tls(TlsMode.NONE)
        .allowPlaintext(true)
        .credentials(credentials())
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(5))
        .reconnectDelay(Duration.ofMillis(100), Duration.ofSeconds(1));
  }

  /** An implicit-TLS store trusting the test certificate, checking the host name. */
  ImapStore.Builder tls() {
    return ImapStore.builder()
        .host("localhost")
        .port(imapsPort())
        .tls(TlsMode.IMPLICIT)
        .sslContext(TestTls.clientContext())
        .credentials(credentials())
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(5));
  }
}
