package dev.mailcore.internal;

import dev.mailcore.MailAuthenticationException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailProtocolException;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.FolderClosedException;
import jakarta.mail.FolderNotFoundException;
import jakarta.mail.MessageRemovedException;
import jakarta.mail.MessagingException;
import jakarta.mail.StoreClosedException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Translates Jakarta Mail's checked {@link MessagingException} into the mailcore hierarchy at the
 * store boundary, keeping it as the cause. Protocol modules check their provider's own causes
 * first and fall back to this.
 */
public final class MessagingFailures {
  private MessagingFailures() {}

  /**
   * Returns the mailcore exception for a failure while doing {@code action} (a phrase such as
   * "open folder Sent on mail.example.org").
   */
  public static MailException translate(String action, MessagingException e) {
    Throwable io = ioCause(e);
    if (e instanceof AuthenticationFailedException && io == null && !timedOut(e)) {
      return new MailAuthenticationException(
          "authentication refused: " + action + ": " + safe(e), false, e);
    }
    if (e instanceof AuthenticationFailedException && io == null) {
      // Angus POP3 reports a greeting that never came as a failed login
      return new MailConnectionException("timed out: " + action, true, e);
    }
    if (e instanceof FolderNotFoundException) {
      return new MailException("no such folder: " + action, false, e);
    }
    if (e instanceof MessageRemovedException) {
      return new MailException("message was removed meanwhile: " + action, true, e);
    }
    if (io instanceof ResponseGuard.LimitExceededException) {
      return new MailProtocolException("server broke the protocol: " + action + ": " + io.getMessage(), e);
    }
    String guard = guardMessage(e);
    if (guard != null) {
      return new MailProtocolException("server broke the protocol: " + action + ": " + guard, e);
    }
    if (io instanceof SocketTimeoutException) {
      return new MailConnectionException("timed out: " + action, true, e);
    }
    if (io instanceof SSLHandshakeException || hasCause(e, CertificateException.class)) {
      return new MailConnectionException("TLS handshake failed: " + action + ": " + io, false, e);
    }
    if (io instanceof SSLException) {
      return new MailConnectionException("TLS failed: " + action + ": " + io, true, e);
    }
    if (io != null) {
      return new MailConnectionException("connection failed: " + action + ": " + io, true, e);
    }
    if (e instanceof StoreClosedException || e instanceof FolderClosedException) {
      return new MailConnectionException("connection lost: " + action + ": " + safe(e), true, e);
    }
    return new MailProtocolException("server failure: " + action + ": " + safe(e), e);
  }

  /**
   * Returns the guard's message when a {@link ResponseGuard} limit ended the connection. Angus
   * often turns the read failure into a synthetic BYE and keeps only its text (for example
   * {@code StoreClosedException(store, "* BYE ... LimitExceededException: ...")}), so the text is
   * all that is left to recognise it by.
   */
  static String guardMessage(Throwable e) {
    String marker = ResponseGuard.LimitExceededException.class.getName() + ": ";
    for (Throwable t = e; t != null; t = next(t)) {
      if (t instanceof ResponseGuard.LimitExceededException limit) {
        return safe(limit);
      }
      String m = t.getMessage();
      int at = m == null ? -1 : m.indexOf(marker);
      if (at >= 0) {
        return safe(new RuntimeException(m.substring(at + marker.length())));
      }
      for (Throwable s : t.getSuppressed()) {
        if (s instanceof ResponseGuard.LimitExceededException limit) {
          return safe(limit);
        }
      }
    }
    return null;
  }

  private static boolean timedOut(Throwable e) {
    return String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("timed out");
  }

  /** Returns the first {@link IOException} in the cause chain, or null. */
  public static Throwable ioCause(Throwable e) {
    for (Throwable t = e; t != null; t = next(t)) {
      if (t instanceof IOException) {
        return t;
      }
    }
    return null;
  }

  /** Returns true when the cause chain holds a {@code type}. */
  public static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = next(t)) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static Throwable next(Throwable t) {
    if (t instanceof MessagingException m && m.getNextException() != null) {
      return m.getNextException();
    }
    return t.getCause() == t ? null : t.getCause();
  }

  /** The exception's message, cut short and without line breaks (servers write the text). */
  static String safe(Throwable e) {
    String m = String.valueOf(e.getMessage()).replaceAll("[\\r\\n\\p{Cntrl}]+", " ");
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }
}
