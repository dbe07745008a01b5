package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.MailConnectionException;
import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.ServerReply;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * A test-only {@link QueueTransport} over Angus Mail's SMTP transport: a real SMTP client for the
 * queue tests until mailcore's own engine (branch smtp) is merged. One connection per transaction;
 * per-recipient replies are recovered from Angus's exceptions.
 */
final class JakartaTransport implements QueueTransport {

  private static final String HOST = "127.0.0.1";
  private final Session session;

  JakartaTransport(int port) {
    Properties p = new Properties();
    p.put("mail.smtp.host", HOST);
    p.put("mail.smtp.port", Integer.toString(port));
    p.put("mail.smtp.sendpartial", "true");
    p.put("mail.smtp.connectiontimeout", "5000");
    p.put("mail.smtp.timeout", "10000");
    p.put("mail.smtp.localhost", "queue-test.invalid");
    session = Session.getInstance(p);
  }

  @Override
  public List<RecipientResult> deliver(Envelope envelope, Content message) {
    List<Mailbox> rcpts = envelope.recipients();
    Address[] to = new Address[rcpts.size()];
    try {
      for (int i = 0; i < to.length; i++) {
        to[i] = new InternetAddress(rcpts.get(i).address());
      }
    } catch (MessagingException e) {
      throw new IllegalArgumentException("bad test address", e);
    }
    try (InputStream in = message.open();
        Transport t = session.getTransport("smtp")) {
      SMTPMessage msg = new SMTPMessage(session, in);
      msg.setEnvelopeFrom(envelope.reversePath().map(Mailbox::address).orElse("<>"));
      t.connect();
      t.sendMessage(msg, to);
      ServerReply ok =
          reply(
              ((SMTPTransport) t).getLastReturnCode(), ((SMTPTransport) t).getLastServerResponse());
      return rcpts.stream().map(r -> RecipientResult.ofReply(r, ok, HOST)).toList();
    } catch (SendFailedException e) {
      return fromFailure(rcpts, e);
    } catch (MessagingException | IOException e) {
      throw new MailConnectionException("SMTP to " + HOST + " failed: " + e.getMessage(), true, e);
    }
  }

  private static List<RecipientResult> fromFailure(List<Mailbox> rcpts, SendFailedException e) {
    Map<String, RecipientResult> byAddress = new HashMap<>();
    for (Exception x = e;
        x != null;
        x = x instanceof MessagingException m ? m.getNextException() : null) {
      if (x instanceof SMTPAddressFailedException a) {
        Mailbox r = find(rcpts, a.getAddress().getAddress());
        if (r != null) {
          byAddress.put(
              key(r), RecipientResult.ofReply(r, reply(a.getReturnCode(), a.getMessage()), HOST));
        }
      }
    }
    ServerReply last = null;
    if (e instanceof SMTPSendFailedException s && s.getReturnCode() >= 200) {
      last = reply(s.getReturnCode(), s.getMessage());
    }
    List<RecipientResult> out = new ArrayList<>();
    for (Mailbox r : rcpts) {
      RecipientResult known = byAddress.get(key(r));
      if (known != null) {
        out.add(known);
      } else if (last != null && (contains(e.getValidSentAddresses(), r) || last.code() >= 400)) {
        out.add(RecipientResult.ofReply(r, last, HOST));
      } else {
        out.add(RecipientResult.ofFailure(r, true, "not sent: " + e.getMessage(), HOST));
      }
    }
    return out;
  }

  private static boolean contains(Address[] list, Mailbox r) {
    if (list == null) {
      return false;
    }
    for (Address a : list) {
      if (a instanceof InternetAddress ia && ia.getAddress().equalsIgnoreCase(r.address())) {
        return true;
      }
    }
    return false;
  }

  private static Mailbox find(List<Mailbox> rcpts, String address) {
    return rcpts.stream()
        .filter(r -> r.address().equalsIgnoreCase(address))
        .findFirst()
        .orElse(null);
  }

  private static String key(Mailbox m) {
    return m.address().toLowerCase(Locale.ROOT);
  }

  /** Angus gives the reply line with its code; split it off. */
  static ServerReply reply(int code, String line) {
    String text = line == null ? "" : line.strip();
    String prefix = Integer.toString(code);
    if (text.startsWith(prefix)) {
      text = text.substring(prefix.length()).replaceFirst("^[ -]", "");
    }
    return ServerReply.of(code, text);
  }
}
