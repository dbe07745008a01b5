package dev.mailcore.imap.internal;

import jakarta.mail.NoSuchProviderException;
import jakarta.mail.Provider;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import java.io.IOException;
import java.util.Properties;
import org.eclipse.angus.mail.iap.ParsingException;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.eclipse.angus.mail.imap.protocol.IMAPProtocol;
import org.eclipse.angus.mail.util.MailLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Angus's IMAP store, except that a response its parser cannot make sense of becomes a {@link
 * ParsingException} instead of whatever the parser threw. Angus parses a response only after
 * reading it whole, but some malformed ones (a FLAGS list that never closes, say) end in an
 * {@link ArrayIndexOutOfBoundsException} or the like, which escaped every caller unchecked,
 * and ended a watch's thread without a word. As a {@link ParsingException}, a command's reply
 * loop skips the one bad response (Angus's own rule for responses it rejects) and goes on, and an
 * IDLE turns it into a lost connection that the watch recovers from. Installed as the session's
 * provider of the protocol ({@link #install}).
 */
public class GuardedImapStore extends IMAPStore {
  private static final Logger log = LoggerFactory.getLogger(GuardedImapStore.class);

  /** Creates the {@code imap} store; Jakarta Mail calls this. */
  public GuardedImapStore(Session session, URLName url) {
    this(session, url, "imap", false);
  }

  GuardedImapStore(Session session, URLName url, String name, boolean ssl) {
    super(session, url, name, ssl);
  }

  /** Makes {@code session} open the guarded store for {@code protocol} (imap or imaps). */
  static void install(Session session, String protocol) {
    String type = protocol.equals("imaps") ? Ssl.class.getName() : GuardedImapStore.class.getName();
    try {
      session.setProvider(new Provider(Provider.Type.STORE, protocol, type, "mailcore", "1"));
    } catch (NoSuchProviderException e) {
      throw new IllegalStateException("cannot install the IMAP store for " + protocol, e);
    }
  }

  @Override
  protected IMAPProtocol newIMAPProtocol(String host, int port)
      throws IOException, ProtocolException {
    return new Protocol(name, host, port, session.getProperties(), isSSL, logger);
  }

  /** The {@code imaps} store (implicit TLS). */
  public static final class Ssl extends GuardedImapStore {
    /** Creates the store; Jakarta Mail calls this. */
    public Ssl(Session session, URLName url) {
      super(session, url, "imaps", true);
    }
  }

  private static final class Protocol extends IMAPProtocol {
    private final String host;

    Protocol(String name, String host, int port, Properties props, boolean ssl, MailLogger logger)
        throws IOException, ProtocolException {
      super(name, host, port, props, ssl, logger);
      this.host = host;
    }

    @Override
    public Response readResponse() throws IOException, ProtocolException {
      try {
        return super.readResponse();
      } catch (RuntimeException e) {
        // the response was read whole before parsing failed, so the framing holds
        log.debug("{} sent a response the IMAP parser rejects: {}", host, e.toString());
        ParsingException p = new ParsingException("malformed response from " + host + ": " + e);
        p.initCause(e);
        throw p;
      }
    }
  }
}
