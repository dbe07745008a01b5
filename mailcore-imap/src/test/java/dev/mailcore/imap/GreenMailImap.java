package dev.mailcore.imap;

import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.mailcore.Credentials;
import dev.mailcore.Message;
import dev.mailcore.TlsMode;
import dev.mailcore.testnet.TestTls;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Properties;

/** A GreenMail server (SMTP, IMAP, IMAPS on loopback ephemeral ports) with one user, bob. */
final class GreenMailImap implements AutoCloseable {
  static final String USER = "bob";
  static final String PASSWORD = "secret";
  static final String ADDRESS = "bob@example.org";

  static {
    TestTls.installForGreenMail();
  }

  final GreenMail greenMail;
  final GreenMailUser user;

  GreenMailImap() {
    ServerSetup[] setups = {
      ServerSetupTest.SMTP.dynamicPort(),
      ServerSetupTest.IMAP.dynamicPort(),
      ServerSetupTest.IMAPS.dynamicPort()
    };
    for (ServerSetup s : setups) {
      // 2 s by default, which a loaded CI machine misses now and then (as in GreenMailPop3)
      s.setServerStartupTimeout(15_000);
    }
    greenMail = new GreenMail(setups);
    greenMail.start();
    user = greenMail.setUser(ADDRESS, USER, PASSWORD);
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
        .credentials(Credentials.password(USER, PASSWORD))
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
        .credentials(Credentials.password(USER, PASSWORD))
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(5));
  }

  /** Delivers through GreenMail's delivery API. */
  void deliver(Message message) {
    user.deliver(mime(message));
  }

  /** Sends through GreenMail's SMTP server. */
  void sendSmtp(Message message) throws MessagingException {
    Properties p = new Properties();
    p.setProperty("mail.smtp.host", "127.0.0.1");
    p.setProperty("mail.smtp.port", Integer.toString(greenMail.getSmtp().getPort()));
    MimeMessage m = mime(message, Session.getInstance(p));
    Transport.send(m, new InternetAddress[] {new InternetAddress(ADDRESS)});
  }

  static MimeMessage mime(Message message) {
    return mime(message, Session.getInstance(new Properties()));
  }

  static MimeMessage mime(Message message, Session session) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      message.writeTo(out);
      return new MimeMessage(session, new ByteArrayInputStream(out.toByteArray()));
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    greenMail.stop();
  }
}
