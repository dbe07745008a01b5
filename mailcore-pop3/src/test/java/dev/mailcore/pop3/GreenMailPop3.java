package dev.mailcore.pop3;

import com.icegreen.greenmail.util.ServerSetupTest;
import dev.mailcore.TlsMode;
import dev.mailcore.testnet.GreenMailServer;
import dev.mailcore.testnet.TestTls;
import java.time.Duration;

/** A GreenMail server (SMTP, POP3, POP3S on loopback ephemeral ports) with one user, bob. */
final class GreenMailPop3 extends GreenMailServer {

  GreenMailPop3() {
    super(ServerSetupTest.POP3, ServerSetupTest.POP3S);
  }

  int pop3Port() {
    return greenMail.getPop3().getPort();
  }

  int pop3sPort() {
    return greenMail.getPop3s().getPort();
  }

  /** A plain-text store on {@code port} (the POP3 port or a proxy in front of it). */
  Pop3Store.Builder plain(int port) {
    return Pop3Store.builder()
        .host("127.0.0.1")
        .port(port)
        .tls(TlsMode.NONE)
        .allowPlaintext(true)
        .credentials(credentials())
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(200));
  }

  /** An implicit-TLS store trusting the test certificate, checking the host name. */
  Pop3Store.Builder tls() {
    return Pop3Store.builder()
        .host("localhost")
        .port(pop3sPort())
        .tls(TlsMode.IMPLICIT)
        .sslContext(TestTls.clientContext())
        .credentials(credentials())
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(200));
  }
}
