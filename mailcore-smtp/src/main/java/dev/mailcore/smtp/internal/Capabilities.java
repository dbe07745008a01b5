package dev.mailcore.smtp.internal;

import dev.mailcore.ServerReply;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The service extensions a server announced in its EHLO reply (RFC 5321 §4.1.1.1): keywords such
 * as {@code PIPELINING} or {@code CHUNKING}, the {@code SIZE} limit and the {@code AUTH}
 * mechanisms. A server that only answered HELO has none.
 *
 * <p>Immutable and thread-safe.
 *
 * @param keywords the extension keywords, upper case
 * @param maxSize the SIZE limit (RFC 1870), empty when not announced or zero (no fixed limit)
 * @param authMechanisms the SASL mechanisms offered, upper case
 */
public record Capabilities(Set<String> keywords, OptionalLong maxSize, Set<String> authMechanisms) {

  /** The capabilities of a server that answered HELO only. */
  public static final Capabilities NONE = new Capabilities(Set.of(), OptionalLong.empty(), Set.of());

  /** Copies. */
  public Capabilities {
    keywords = Set.copyOf(keywords);
    authMechanisms = Set.copyOf(authMechanisms);
  }

  /** Parses an EHLO reply: the first line is the server's name, each further line one extension. */
  public static Capabilities parse(ServerReply ehloReply) {
    Set<String> keywords = new HashSet<>();
    Set<String> auth = new LinkedHashSet<>();
    OptionalLong size = OptionalLong.empty();
    List<String> lines = ehloReply.lines();
    for (int i = 1; i < lines.size(); i++) {
      String[] words = lines.get(i).trim().split("[ =]+");
      if (words.length == 0 || words[0].isEmpty()) {
        continue;
      }
      String keyword = words[0].toUpperCase(Locale.ROOT);
      keywords.add(keyword);
      if (keyword.equals("AUTH")) {
        for (int w = 1; w < words.length; w++) {
          auth.add(words[w].toUpperCase(Locale.ROOT));
        }
      } else if (keyword.equals("SIZE") && words.length > 1) {
        try {
          long limit = Long.parseLong(words[1]);
          size = limit > 0 ? OptionalLong.of(limit) : OptionalLong.empty();
        } catch (NumberFormatException e) {
          // A garbled SIZE argument means no usable limit; the server still enforces its own.
          size = OptionalLong.empty();
        }
      }
    }
    return new Capabilities(keywords, size, auth);
  }

  /** Returns true when the server announced {@code keyword}. */
  public boolean has(String keyword) {
    return keywords.contains(keyword.toUpperCase(Locale.ROOT));
  }

  /** Returns true when the server offers the SASL mechanism. */
  public boolean hasAuth(String mechanism) {
    return authMechanisms.contains(mechanism.toUpperCase(Locale.ROOT));
  }
}
