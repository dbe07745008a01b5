package dev.mailcore.smtp.internal;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS context for opportunistic STARTTLS between MTAs (RFC 7435 "opportunistic security",
 * RFC 3207 §4.1): encrypt whatever the certificate, because most MX hosts on the internet present
 * self-signed or mismatched certificates and the alternative an MTA has is plain text, not a
 * verified channel. Never used where TLS is required or for relays; those verify.
 *
 * <p>The trust manager is an {@link X509ExtendedTrustManager}, so the JDK does not add its own
 * host-name check around it.
 */
public final class EncryptOnlyTls {
  private EncryptOnlyTls() {}

  /**
   * Returns a new context that accepts any server certificate.
   *
   * @throws IllegalStateException when the JDK has no TLS
   */
  public static SSLContext context() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new AcceptAny()}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK offers no TLS context", e);
    }
  }

  private static final class AcceptAny extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
      // opportunistic: encryption without authentication, see the class comment
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      // opportunistic: encryption without authentication, see the class comment
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // opportunistic: encryption without authentication, see the class comment
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
