package dev.mailcore.smtp.dkim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;

/** The test key pairs in {@code src/test/resources/dkim}, made with {@code openssl genpkey}. */
final class TestKeys {
  private TestKeys() {}

  static String resource(String name) {
    try (InputStream in = TestKeys.class.getResourceAsStream("/dkim/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static KeyPair rsa() {
    return new KeyPair(
        DkimKeys.parsePublicKey(resource("rsa-2048.pub.pem")),
        DkimKeys.parsePrivateKey(resource("rsa-2048.pem")));
  }

  static KeyPair ed25519() {
    return new KeyPair(
        DkimKeys.parsePublicKey(resource("ed25519.pub.pem")),
        DkimKeys.parsePrivateKey(resource("ed25519.pem")));
  }
}
