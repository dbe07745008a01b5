package dev.mailcore.testnet;

import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.mailcore.Credentials;
import dev.mailcore.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Properties;

/**
 * A GreenMail server on loopback ephemeral ports with one user, bob: SMTP plus the store servers
 * a protocol module's tests name (IMAP and IMAPS, or POP3 and POP3S), their TLS servers
 * presenting {@link TestTls}'s certificate. Each protocol module's fixture extends it with its
 * ports and store builders. Started by the constructor, stopped by {@link #close()}. Thread-safe
 * as GreenMail is.
 */
public class GreenMailServer implements AutoCloseable {
  /** The user's login name. */
  public static final String USER = "bob";
  /** The user's password. */
  public static final String PASSWORD = "secret";
  /** The user's address, where GreenMail's SMTP server delivers. */
  public static final String ADDRESS = "bob@example.org";

  /**
   * How long each server may take to start: GreenMail's default of 2 s is missed now and then on
   * a loaded CI machine.
   */
  public static final int STARTUP_TIMEOUT_MILLIS = 15_000;

  static {
    TestTls.installForGreenMail();
  }

  /** The running server. */
  public final GreenMail greenMail;
  /** Bob's mailbox. */
  public final GreenMailUser user;

  /**
   * Starts SMTP and {@code stores} (for example {@code ServerSetupTest.IMAP}), each on an
   * ephemeral port, and creates bob.
   */
  protected GreenMailServer(ServerSetup... stores) {
    ServerSetup[] setups = new ServerSetup[stores.length + 1];
    setups[0] = ServerSetupTest.SMTP.dynamicPort();
    for (int i = 0; i < stores.length; i++) {
      setups[i + 1] = stores[i].dynamicPort();
    }
    for (ServerSetup s : setups) {
      s.setServerStartupTimeout(STARTUP_TIMEOUT_MILLIS);
    }
    greenMail = new GreenMail(setups);
    greenMail.start();
    user = greenMail.setUser(ADDRESS, USER, PASSWORD);
  }

  /** Returns bob's login. */
  public static Credentials credentials() {
    return Credentials.password(USER, PASSWORD);
  }

  /** Delivers through GreenMail's delivery API. */
  public void deliver(Message message) {
    user.deliver(mime(message, Session.getInstance(new Properties())));
  }

  /** Sends through GreenMail's SMTP server to bob. */
  public void sendSmtp(Message message) throws MessagingException {
    Properties p = new Properties();
    p.setProperty("mail.smtp.host", "127.0.0.1");
    p.setProperty("mail.smtp.port", Integer.toString(greenMail.getSmtp().getPort()));
    MimeMessage m = mime(message, Session.getInstance(p));
    Transport.send(m, new InternetAddress[] {new InternetAddress(ADDRESS)});
  }

  private static MimeMessage mime(Message message, Session session) {
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
