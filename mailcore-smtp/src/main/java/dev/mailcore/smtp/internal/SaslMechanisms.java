package dev.mailcore.smtp.internal;

import dev.mailcore.Credentials;
import dev.mailcore.MailAuthenticationException;
import dev.mailcore.ServerReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * SMTP AUTH (RFC 4954) with the SASL mechanisms PLAIN (RFC 4616), LOGIN and XOAUTH2. An OAuth 2
 * token is asked for again once when the server rejects it (334 error challenge or 535), since
 * that usually means it expired.
 *
 * <p>Stateless and thread-safe.
 */
final class SaslMechanisms {
  /** The conversation with the server, with secrets kept out of the transcript. */
  interface Exchange {
    /** Sends {@code visible + " " + secret} (or only {@code visible} when secret is empty). */
    ServerReply command(String visible, String secret) throws IOException;

    /** Sends a SASL response line, which is never logged. */
    ServerReply respond(String secret) throws IOException;
  }

  private SaslMechanisms() {}

  static void authenticate(Exchange exchange, Capabilities caps, Credentials credentials, String host)
      throws IOException {
    if (credentials.isOAuth2()) {
      if (!caps.hasAuth("XOAUTH2")) {
        throw refused(host, "OAuth 2 credentials need AUTH XOAUTH2, which the server does not offer", caps);
      }
      ServerReply reply = xoauth2(exchange, credentials);
      if (reply.code() == 535 || reply.code() == 334) {
        reply = xoauth2(exchange, credentials);
      }
      check(reply, host, credentials);
    } else if (caps.hasAuth("PLAIN")) {
      String response = "\0" + credentials.username() + "\0" + credentials.secret();
      check(exchange.command("AUTH PLAIN", base64(response)), host, credentials);
    } else if (caps.hasAuth("LOGIN")) {
      ServerReply reply = exchange.command("AUTH LOGIN", "");
      if (reply.code() == 334) {
        reply = exchange.respond(base64(credentials.username()));
        if (reply.code() == 334) {
          reply = exchange.respond(base64(credentials.secret()));
        }
      }
      check(reply, host, credentials);
    } else {
      throw refused(host, "the server offers no supported AUTH mechanism (PLAIN, LOGIN, XOAUTH2)", caps);
    }
  }

  private static ServerReply xoauth2(Exchange exchange, Credentials credentials) throws IOException {
    String response =
        "user=" + credentials.username() + "\u0001auth=Bearer " + credentials.secret() + "\u0001\u0001";
    ServerReply reply = exchange.command("AUTH XOAUTH2", base64(response));
    if (reply.code() == 334) {
      // RFC 7628 §3.2.3: the challenge carries the error; an empty response ends the exchange.
      reply = exchange.respond("");
    }
    return reply;
  }

  private static void check(ServerReply reply, String host, Credentials credentials) {
    if (reply.code() == 235) {
      return;
    }
    throw new MailAuthenticationException(
        host + " refused authentication as " + credentials.username() + ": " + reply,
        reply.isTransient(),
        null);
  }

  private static MailAuthenticationException refused(String host, String why, Capabilities caps) {
    return new MailAuthenticationException(
        "cannot authenticate to " + host + ": " + why + " (offered: " + caps.authMechanisms() + ")",
        false,
        null);
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
