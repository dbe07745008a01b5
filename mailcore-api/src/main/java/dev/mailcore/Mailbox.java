package dev.mailcore;

import dev.mailcore.internal.AddressParser;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One e-mail address: a local part, a domain and an optional display name, as in {@code Ana Lima
 * <ana@shop.example>}.
 *
 * <p>The domain is kept in its Unicode form ({@link #domain()}) and offered in its ASCII (IDNA)
 * form ({@link #asciiDomain()}) for DNS and SMTP. A local part may contain non-ASCII characters
 * (RFC 6531); such an address needs an SMTPUTF8 server ({@link #needsSmtpUtf8()}).
 *
 * <p>Immutable and thread-safe. Two mailboxes are equal when local part, domain (ignoring case)
 * and display name are equal; {@link #sameAddress} ignores the display name.
 *
 * <pre>{@code
 * Mailbox ana = Mailbox.parse("Ana Lima <ana@shop.example>");
 * ana.address();     // "ana@shop.example"
 * ana.displayName(); // Optional[Ana Lima]
 * }</pre>
 *
 * @since 0.1
 */
public final class Mailbox {
  private final String localPart;
  private final String domain;
  private final String asciiDomain;
  private final String displayName;

  private Mailbox(String localPart, String domain, String displayName) {
    this.localPart = localPart;
    this.domain = domain;
    this.asciiDomain = AddressParser.toAsciiDomain(domain);
    this.displayName = displayName;
  }

  /**
   * Parses one address in RFC 5322 form: {@code addr@example.org}, {@code <addr@example.org>},
   * {@code "Name" <addr@example.org>}, {@code =?UTF-8?Q?...?= <addr@example.org>}, quoted local
   * parts, IDN domains and UTF-8 local parts.
   *
   * @throws MailFormatException with the index of the first error when the text is not one valid
   *     address
   * @throws NullPointerException when {@code text} is null
   */
  public static Mailbox parse(String text) {
    return AddressParser.parseMailbox(Objects.requireNonNull(text, "text"));
  }

  /** Parses like {@link #parse}, returning empty instead of throwing. */
  public static Optional<Mailbox> tryParse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(text));
    } catch (MailFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Parses an address list such as a To header: comma-separated mailboxes and groups ({@code
   * Team: a@x.example, b@y.example;}); the members of groups are returned in order.
   *
   * @throws MailFormatException with the index of the first error
   */
  public static List<Mailbox> parseList(String text) {
    return AddressParser.parseList(Objects.requireNonNull(text, "text"));
  }

  /**
   * Creates a mailbox from its parts, validating each.
   *
   * @param localPart the part before {@code @}, unquoted
   * @param domain the domain, Unicode or ASCII
   * @throws MailFormatException when a part is invalid
   */
  public static Mailbox of(String localPart, String domain) {
    return of(null, localPart, domain);
  }

  /**
   * Creates a mailbox with a display name from its parts, validating each.
   *
   * @param displayName the display name, or {@code null}
   * @throws MailFormatException when a part is invalid
   */
  public static Mailbox of(String displayName, String localPart, String domain) {
    AddressParser.checkLocalPart(Objects.requireNonNull(localPart, "localPart"));
    String d = AddressParser.checkDomain(Objects.requireNonNull(domain, "domain"));
    if (displayName != null) {
      AddressParser.checkDisplayName(displayName);
    }
    return new Mailbox(localPart, d, displayName == null || displayName.isEmpty() ? null : displayName);
  }

  /** For the parser, which has validated already. */
  static Mailbox ofValidated(String displayName, String localPart, String domain) {
    return new Mailbox(localPart, domain, displayName == null || displayName.isEmpty() ? null : displayName);
  }

  /** Returns a copy with another display name ({@code null} for none). */
  public Mailbox withDisplayName(String name) {
    return of(name, localPart, domain);
  }

  /** Returns the local part, unquoted. */
  public String localPart() {
    return localPart;
  }

  /** Returns the domain in Unicode form. */
  public String domain() {
    return domain;
  }

  /** Returns the domain in ASCII form (IDNA A-labels), as used in DNS. */
  public String asciiDomain() {
    return asciiDomain;
  }

  /** Returns the display name, when there is one. */
  public Optional<String> displayName() {
    return Optional.ofNullable(displayName);
  }

  /**
   * Returns the address without display name, quoting the local part where RFC 5321 needs it:
   * {@code ana@shop.example}, with the Unicode domain.
   */
  public String address() {
    return AddressParser.quoteLocalPartIfNeeded(localPart) + "@" + domain;
  }

  /** Returns the address with the ASCII domain, as used in the SMTP envelope. */
  public String asciiAddress() {
    return AddressParser.quoteLocalPartIfNeeded(localPart) + "@" + asciiDomain;
  }

  /** Returns true when the local part is not ASCII, so SMTP needs the SMTPUTF8 extension. */
  public boolean needsSmtpUtf8() {
    for (int i = 0; i < localPart.length(); i++) {
      if (localPart.charAt(i) > 127) {
        return true;
      }
    }
    return false;
  }

  /** Returns true when both name the same address, ignoring display names and domain case. */
  public boolean sameAddress(Mailbox other) {
    return localPart.equals(other.localPart) && asciiDomain.equalsIgnoreCase(other.asciiDomain);
  }

  /**
   * Returns the header form: the display name (quoted where needed, not encoded) and the address
   * in angle brackets, or the bare address. Non-ASCII names are encoded only when a message is
   * written.
   */
  @Override
  public String toString() {
    if (displayName == null) {
      return address();
    }
    return AddressParser.quoteDisplayNameIfNeeded(displayName) + " <" + address() + ">";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Mailbox m
        && sameAddress(m)
        && Objects.equals(displayName, m.displayName);
  }

  @Override
  public int hashCode() {
    return Objects.hash(localPart, asciiDomain.toLowerCase(Locale.ROOT), displayName);
  }
}
