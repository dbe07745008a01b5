package dev.mailcore.smtp.mx;

/**
 * Finds the mail exchangers of a domain. The default is {@link DnsMxResolver}; tests and
 * applications with their own directory may supply another.
 *
 * <p>Implementations are thread-safe: one resolver serves every delivery thread. They report DNS
 * outcomes as {@link MxLookup} values and throw only for input that is not a domain name.
 *
 * @since 0.1
 */
public interface MxResolver {

  /**
   * Looks up where mail for {@code domain} goes: its MX hosts with their addresses, in the order
   * to try, or the domain's own addresses when it has no MX record.
   *
   * @param domain the domain, in Unicode or ASCII form; IDNs are looked up in ASCII form
   * @throws dev.mailcore.MailFormatException when {@code domain} is not a valid domain name
   * @throws NullPointerException when {@code domain} is null
   */
  MxLookup lookup(String domain);

  /**
   * Looks up the addresses of one host, without MX records, as a static route or relay host
   * needs. The answer is {@link MxLookup.Hosts} with one implicit host, {@link
   * MxLookup.NoSuchDomain} or {@link MxLookup.TemporaryFailure}.
   *
   * @param host the host name, in Unicode or ASCII form
   * @throws dev.mailcore.MailFormatException when {@code host} is not a valid host name
   * @throws NullPointerException when {@code host} is null
   */
  MxLookup lookupHost(String host);
}
