package dev.mailcore.internal;

import dev.mailcore.Header;
import jakarta.mail.Address;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * Builds the listed headers of a stored message (From, To, Cc, Subject, Date, Message-ID) from a
 * Jakarta Mail message whose envelope or headers were fetched in a batch. Values come from the
 * server, so control characters are replaced by spaces rather than failing the listing.
 */
public final class StoredHeaders {
  private StoredHeaders() {}

  /** Returns the headers; does no round trip when the envelope was prefetched. */
  public static List<Header> of(MimeMessage m) throws MessagingException {
    List<Header> out = new ArrayList<>(6);
    add(out, "From", addresses(m.getFrom()));
    add(out, "To", addresses(m.getRecipients(RecipientType.TO)));
    add(out, "Cc", addresses(m.getRecipients(RecipientType.CC)));
    add(out, "Subject", m.getSubject());
    Date sent = m.getSentDate();
    if (sent != null) {
      add(out, "Date",
          DateTimeFormatter.RFC_1123_DATE_TIME.format(sent.toInstant().atOffset(ZoneOffset.UTC)));
    }
    add(out, "Message-ID", m.getMessageID());
    return out;
  }

  private static String addresses(Address[] list) {
    if (list == null || list.length == 0) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (Address a : list) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(a instanceof InternetAddress ia ? ia.toUnicodeString() : a.toString());
    }
    return sb.toString();
  }

  private static void add(List<Header> out, String name, String value) {
    if (value != null) {
      out.add(new Header(name, clean(value)));
    }
  }

  /** Replaces control characters (other than tab) by spaces. */
  public static String clean(String value) {
    StringBuilder sb = null;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 32 && c != '\t') || c == 127) {
        if (sb == null) {
          sb = new StringBuilder(value);
        }
        sb.setCharAt(i, ' ');
      }
    }
    return sb == null ? value : sb.toString();
  }
}
