package dev.mailcore.smtp.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The test certificate of {@link ScriptedSmtpServer}: a self-signed key for {@code localhost} and
 * {@code 127.0.0.1} (resources {@code tls/test-server.p12} and {@code tls/test-trust.p12}, made
 * once with keytool, see {@code tls/README.txt}).
 *
 * <p>Thread-safe; every call builds fresh objects.
 */
public final class TestCertificates {
  private static final char[] PASSWORD = "changeit".toCharArray();

  private TestCertificates() {}

  /** Returns a server context holding the test key. */
  public static SSLContext serverContext() {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load("tls/test-server.p12"), PASSWORD);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the test key", e);
    }
  }

  /** Returns a trust manager that trusts the test certificate only. */
  public static X509TrustManager trustManager() {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(load("tls/test-trust.p12"));
      return (X509TrustManager) tmf.getTrustManagers()[0];
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the test trust store", e);
    }
  }

  /** Returns a client context that trusts the test certificate only. */
  public static SSLContext clientContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new X509TrustManager[] {trustManager()}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build the test client context", e);
    }
  }

  private static KeyStore load(String resource) throws GeneralSecurityException {
    try (InputStream in = TestCertificates.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, PASSWORD);
      return store;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
