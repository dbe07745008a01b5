package dev.mailcore.imap.internal;

import dev.mailcore.MailCommandException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailProtocolException;
import dev.mailcore.ServerReply;
import dev.mailcore.internal.MessagingFailures;
import dev.mailcore.internal.ResponseGuard;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.FolderNotFoundException;
import jakarta.mail.MessagingException;
import org.eclipse.angus.mail.iap.BadCommandException;
import org.eclipse.angus.mail.iap.CommandFailedException;
import org.eclipse.angus.mail.iap.ConnectionException;
import org.eclipse.angus.mail.iap.ParsingException;
import org.eclipse.angus.mail.iap.ProtocolException;

/**
 * Maps Angus IMAP failures into the mailcore hierarchy. A tagged NO or BAD becomes a {@link
 * MailCommandException}; IMAP has no reply codes, so NO is reported as 550 and BAD as 500 with
 * the server's text, and the connection stays usable. A malformed response is a {@link
 * MailProtocolException}; network trouble and time-outs a {@link MailConnectionException}.
 */
final class ImapFailures {
  private ImapFailures() {}

  static MailException translate(String action, MessagingException e) {
    if (e instanceof AuthenticationFailedException || e instanceof FolderNotFoundException
        || MessagingFailures.ioCause(e) != null || String.valueOf(e.getMessage()).contains("LimitExceededException")) {
      return MessagingFailures.translate(action, e);
    }
    Throwable cause = e.getNextException() != null ? e.getNextException() : e.getCause();
    return fromProtocol(action, cause, e);
  }

  static MailException translate(String action, ProtocolException e) {
    return fromProtocol(action, e, e);
  }

  private static MailException fromProtocol(String action, Throwable cause, Exception outer) {
    if (cause instanceof CommandFailedException f) {
      return command(action, 550, f, outer);
    }
    if (cause instanceof BadCommandException b) {
      return command(action, 500, b, outer);
    }
    if (cause instanceof ParsingException) {
      return new MailProtocolException(
          "malformed server response: " + action + ": " + text(cause), outer);
    }
    if (cause instanceof ProtocolException pe
        && pe.getResponse() != null
        && pe.getResponse().getException() instanceof ResponseGuard.LimitExceededException limit) {
      // Angus turns a read failure into a synthetic BYE; ours means the server broke framing
      return new MailProtocolException(
          "server broke the protocol: " + action + ": " + limit.getMessage(), outer);
    }
    if (cause instanceof ConnectionException ce
        && ce.getResponse() != null
        && ce.getResponse().getException() instanceof java.net.SocketTimeoutException) {
      return new MailConnectionException("timed out: " + action, true, outer);
    }
    if (cause instanceof ConnectionException) {
      return new MailConnectionException("connection lost: " + action + ": " + text(cause), true, outer);
    }
    if (cause instanceof ProtocolException) {
      return new MailProtocolException("protocol failure: " + action + ": " + text(cause), outer);
    }
    if (outer instanceof MessagingException m) {
      return MessagingFailures.translate(action, m);
    }
    return new MailProtocolException("protocol failure: " + action + ": " + text(cause), outer);
  }

  private static MailException command(String action, int code, Throwable t, Exception outer) {
    return new MailCommandException(action, ServerReply.of(code, text(t)), null, outer);
  }

  private static String text(Throwable t) {
    String m = String.valueOf(t == null ? null : t.getMessage());
    m = m.replaceAll("\\p{Cntrl}+", " ");
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }
}
