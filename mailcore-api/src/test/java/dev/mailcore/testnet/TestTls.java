package dev.mailcore.testnet;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed test certificate for {@code localhost} and {@code 127.0.0.1} (subject
 * alternative names, so host-name checks pass), for in-process TLS servers and the clients that
 * must trust them. Thread-safe.
 */
public final class TestTls {
  /** The keystore password. */
  public static final String PASSWORD = "changeit";
  private static Path file;

  private TestTls() {}

  /** Returns the PKCS#12 keystore as a file (copied from the test resources once). */
  public static synchronized Path keystoreFile() {
    if (file == null) {
      try (InputStream in = TestTls.class.getResourceAsStream("localhost.p12")) {
        Path p = Files.createTempFile("mailcore-test-tls", ".p12");
        p.toFile().deleteOnExit();
        Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
        file = p;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return file;
  }

  /**
   * Points GreenMail's TLS servers at this certificate (GreenMail reads these system properties
   * once per JVM, before its first TLS server starts).
   */
  public static void installForGreenMail() {
    System.setProperty("greenmail.tls.keystore.file", keystoreFile().toString());
    System.setProperty("greenmail.tls.keystore.password", PASSWORD);
    System.setProperty("greenmail.tls.key.password", PASSWORD);
  }

  /** Returns a server context that presents this certificate (for in-process TLS servers). */
  public static SSLContext serverContext() {
    try (InputStream in = Files.newInputStream(keystoreFile())) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(in, PASSWORD.toCharArray());
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, PASSWORD.toCharArray());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns a client context that trusts exactly this certificate. */
  public static SSLContext clientContext() {
    try (InputStream in = Files.newInputStream(keystoreFile())) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(in, PASSWORD.toCharArray());
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("localhost", keys.getCertificate("greenmail"));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
