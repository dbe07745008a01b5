package dev.mailcore.internal;

import dev.mailcore.Mailbox;
import java.util.List;

/** RFC 5322 / 6531 address parsing and formatting. TO BE WRITTEN (foundation issue). */
public final class AddressParser {
  private AddressParser() {}

  public static Mailbox parseMailbox(String text) {
    throw new UnsupportedOperationException("not yet");
  }

  public static List<Mailbox> parseList(String text) {
    throw new UnsupportedOperationException("not yet");
  }

  public static void checkLocalPart(String localPart) {}

  public static String checkDomain(String domain) {
    return domain;
  }

  public static void checkDisplayName(String name) {}

  public static String toAsciiDomain(String domain) {
    return java.net.IDN.toASCII(domain);
  }

  public static String quoteLocalPartIfNeeded(String localPart) {
    return localPart;
  }

  public static String quoteDisplayNameIfNeeded(String name) {
    return name;
  }
}
