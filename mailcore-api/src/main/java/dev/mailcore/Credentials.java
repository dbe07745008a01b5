package dev.mailcore;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A user name with a password or an OAuth 2 access token source.
 *
 * <p>{@link #toString()} never shows the secret. Immutable and thread-safe; the token supplier
 * must be thread-safe too.
 *
 * @since 0.1
 */
public final class Credentials {
  private final String username;
  private final String password;
  private final Supplier<String> tokenSource;

  private Credentials(String username, String password, Supplier<String> tokenSource) {
    this.username = username;
    this.password = password;
    this.tokenSource = tokenSource;
  }

  /**
   * Creates password credentials.
   *
   * @throws NullPointerException when an argument is null
   */
  public static Credentials password(String username, String password) {
    return new Credentials(
        Objects.requireNonNull(username, "username"),
        Objects.requireNonNull(password, "password"),
        null);
  }

  /**
   * Creates OAuth 2 credentials (SASL XOAUTH2). The source is asked for a token at every
   * authentication, and asked again once when the server rejects a token as expired, so it
   * should refresh when its token is stale.
   *
   * @throws NullPointerException when an argument is null
   */
  public static Credentials oauth2(String username, Supplier<String> tokenSource) {
    return new Credentials(
        Objects.requireNonNull(username, "username"),
        null,
        Objects.requireNonNull(tokenSource, "tokenSource"));
  }

  /** Returns the user name. */
  public String username() {
    return username;
  }

  /** Returns true for OAuth 2 credentials. */
  public boolean isOAuth2() {
    return tokenSource != null;
  }

  /**
   * Returns the password, or a fresh token for OAuth 2 credentials. Callers must not log it.
   *
   * @throws MailAuthenticationException when the token source fails
   */
  public String secret() {
    if (tokenSource == null) {
      return password;
    }
    try {
      String token = tokenSource.get();
      if (token == null || token.isEmpty()) {
        throw new MailAuthenticationException("OAuth2 token source returned no token", true, null);
      }
      return token;
    } catch (RuntimeException e) {
      if (e instanceof MailException) {
        throw e;
      }
      throw new MailAuthenticationException("OAuth2 token source failed", true, e);
    }
  }

  @Override
  public String toString() {
    return "Credentials{" + username + ", " + (isOAuth2() ? "oauth2" : "password") + "=***}";
  }
}
