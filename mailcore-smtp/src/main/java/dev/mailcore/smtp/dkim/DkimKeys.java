package dev.mailcore.smtp.dkim;

import dev.mailcore.MailFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads DKIM keys from PEM text and writes the DNS TXT record that publishes a public key at
 * {@code <selector>._domainkey.<domain>}. Keys are RSA (at least 1024 bits, 2048 recommended,
 * RFC 8301) or Ed25519 (RFC 8463), handled with the JDK's own crypto.
 *
 * <pre>{@code
 * PrivateKey key = DkimKeys.readPrivateKey(Path.of("dkim-s1.pem"));   // openssl genpkey output
 * String txt = DkimKeys.txtRecord(publicKey);   // "v=DKIM1; k=rsa; p=MIIBIjAN..."
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1
 */
public final class DkimKeys {
  /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw 32-byte key follows. */
  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private DkimKeys() {}

  /**
   * Reads a private key from a PEM file in PKCS#8 form ({@code -----BEGIN PRIVATE KEY-----}), as
   * written by {@code openssl genpkey -algorithm RSA} or {@code -algorithm ed25519}.
   *
   * @throws MailFormatException when the file holds no unencrypted PKCS#8 RSA or Ed25519 key
   * @throws UncheckedIOException when the file cannot be read
   */
  public static PrivateKey readPrivateKey(Path pemFile) {
    Objects.requireNonNull(pemFile, "pemFile");
    try {
      return parsePrivateKey(Files.readString(pemFile, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read DKIM key file " + pemFile, e);
    }
  }

  /**
   * Parses a private key from PEM text in PKCS#8 form ({@code -----BEGIN PRIVATE KEY-----}).
   *
   * @throws MailFormatException when the text holds no unencrypted PKCS#8 RSA or Ed25519 key;
   *     for an old {@code BEGIN RSA PRIVATE KEY} file the message says how to convert it
   */
  public static PrivateKey parsePrivateKey(String pem) {
    Objects.requireNonNull(pem, "pem");
    if (pem.contains("-----BEGIN RSA PRIVATE KEY-----")) {
      throw new MailFormatException(
          "key is in PKCS#1 form (BEGIN RSA PRIVATE KEY); convert it with"
              + " 'openssl pkcs8 -topk8 -nocrypt -in old.pem -out new.pem'",
          -1);
    }
    if (pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      throw new MailFormatException(
          "key is encrypted; decrypt it with 'openssl pkcs8 -in enc.pem -out plain.pem'", -1);
    }
    byte[] der = pemBody(pem, "PRIVATE KEY");
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : new String[] {"RSA", "Ed25519"}) {
      try {
        return checked(keyFactory(algorithm).generatePrivate(spec));
      } catch (InvalidKeySpecException e) {
        // not this algorithm; the next is tried, and after the last a clear error is thrown
      }
    }
    throw new MailFormatException("PEM text holds neither an RSA nor an Ed25519 private key", -1);
  }

  /**
   * Parses a public key from PEM text ({@code -----BEGIN PUBLIC KEY-----}, SubjectPublicKeyInfo).
   *
   * @throws MailFormatException when the text holds no RSA or Ed25519 public key
   */
  public static PublicKey parsePublicKey(String pem) {
    Objects.requireNonNull(pem, "pem");
    X509EncodedKeySpec spec = new X509EncodedKeySpec(pemBody(pem, "PUBLIC KEY"));
    for (String algorithm : new String[] {"RSA", "Ed25519"}) {
      try {
        return keyFactory(algorithm).generatePublic(spec);
      } catch (InvalidKeySpecException e) {
        // not this algorithm; try the next
      }
    }
    throw new MailFormatException("PEM text holds neither an RSA nor an Ed25519 public key", -1);
  }

  /**
   * Generates a new key pair: {@code "rsa"} (2048 bits) or {@code "ed25519"}.
   *
   * @throws IllegalArgumentException for another algorithm name
   */
  public static KeyPair generate(String algorithm) {
    Objects.requireNonNull(algorithm, "algorithm");
    try {
      switch (algorithm.toLowerCase(Locale.ROOT)) {
        case "rsa":
          KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
          rsa.initialize(2048);
          return rsa.generateKeyPair();
        case "ed25519":
          return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        default:
          throw new IllegalArgumentException("DKIM keys are rsa or ed25519, not " + algorithm);
      }
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + algorithm, e);
    }
  }

  /**
   * Returns the TXT record value to publish at {@code <selector>._domainkey.<domain>}: {@code
   * v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>} or {@code v=DKIM1; k=ed25519; p=<base64 of
   * the raw 32-byte key>} (RFC 6376 §3.6.1, RFC 8463 §4). A 2048-bit RSA record is longer than 255
   * bytes: DNS servers store it as several strings of one TXT record, which verifiers join.
   *
   * @throws IllegalArgumentException when the key is neither RSA nor Ed25519
   */
  public static String txtRecord(PublicKey key) {
    Objects.requireNonNull(key, "key");
    DkimAlgorithm algorithm = DkimAlgorithm.of(key);
    return "v=DKIM1; k="
        + algorithm.keyType()
        + "; p="
        + Base64.getEncoder().encodeToString(publicKeyData(key, algorithm));
  }

  /**
   * Returns {@link #txtRecord} cut into character-strings of at most 255 bytes, as one TXT record
   * must hold them (RFC 1035 §3.3.14); DNS consoles and zone files take them as {@code "..."
   * "..."}, and verifiers join them again.
   */
  public static List<String> txtRecordStrings(PublicKey key) {
    String record = txtRecord(key);
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < record.length(); i += 255) {
      strings.add(record.substring(i, Math.min(record.length(), i + 255)));
    }
    return List.copyOf(strings);
  }

  /**
   * Parses the {@code p=} and {@code k=} tags of a DKIM key record, as published in DNS.
   *
   * @throws MailFormatException when the record has no usable key: no {@code p=}, an empty one (a
   *     revoked key), an unknown {@code k=} or a key that does not decode
   */
  public static PublicKey parseTxtRecord(String record) {
    Objects.requireNonNull(record, "record");
    String keyType = "rsa";
    String p = null;
    for (String tag : record.split(";")) {
      int eq = tag.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String name = tag.substring(0, eq).strip();
      String value = tag.substring(eq + 1).replaceAll("\\s+", "");
      if (name.equals("k")) {
        keyType = value.toLowerCase(Locale.ROOT);
      } else if (name.equals("p")) {
        p = value;
      }
    }
    if (p == null) {
      throw new MailFormatException("DKIM key record has no p= tag", -1);
    }
    if (p.isEmpty()) {
      throw new MailFormatException("DKIM key record has an empty p=: the key is revoked", -1);
    }
    byte[] data;
    try {
      data = Base64.getDecoder().decode(p);
    } catch (IllegalArgumentException e) {
      throw new MailFormatException("DKIM key record p= is not base64", e);
    }
    try {
      switch (keyType) {
        case "rsa":
          return keyFactory("RSA").generatePublic(new X509EncodedKeySpec(data));
        case "ed25519":
          if (data.length != 32) {
            throw new MailFormatException(
                "ed25519 p= must be 32 bytes, found " + data.length, -1);
          }
          byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
          System.arraycopy(data, 0, spki, ED25519_SPKI_PREFIX.length, 32);
          return keyFactory("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        default:
          throw new MailFormatException("DKIM key type k=" + keyType + " is not supported", -1);
      }
    } catch (InvalidKeySpecException e) {
      throw new MailFormatException("DKIM key record p= does not hold a " + keyType + " key", e);
    }
  }

  /**
   * Returns true when {@code published} is the public half of {@code key}: a random challenge
   * signed with the private key verifies with the public one. Keys of different kinds never match.
   *
   * @throws IllegalArgumentException when {@code key} is not a usable DKIM key
   */
  public static boolean matches(PublicKey published, PrivateKey key) {
    Objects.requireNonNull(published, "published");
    DkimAlgorithm algorithm = DkimAlgorithm.of(Objects.requireNonNull(key, "key"));
    if ((algorithm == DkimAlgorithm.RSA_SHA256) != isRsa(published)
        || (algorithm == DkimAlgorithm.ED25519_SHA256) != isEd25519(published)) {
      return false;
    }
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    try {
      return algorithm.verify(published, challenge, algorithm.sign(key, challenge));
    } catch (GeneralSecurityException e) {
      return false; // a public key the JDK cannot use for this algorithm is no match
    }
  }

  /**
   * Returns the public key that belongs to a private key: for RSA from its CRT parameters (every
   * PKCS#8 file from OpenSSL has them), for Ed25519 from its seed. Empty for an RSA key without
   * CRT parameters or a key whose bytes the provider does not reveal (a hardware token).
   */
  public static Optional<PublicKey> publicKeyOf(PrivateKey key) {
    Objects.requireNonNull(key, "key");
    try {
      if (key instanceof RSAPrivateCrtKey crt) {
        return Optional.of(
            keyFactory("RSA")
                .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent())));
      }
      if (isEd25519(key) && key instanceof EdECPrivateKey ed && ed.getBytes().isPresent()) {
        byte[] raw = Ed25519Public.fromSeed(ed.getBytes().get());
        byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
        System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, 32);
        return Optional.of(keyFactory("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
      }
    } catch (InvalidKeySpecException e) {
      throw new IllegalStateException("the key's public half does not decode", e);
    }
    return Optional.empty();
  }

  /** Returns the bytes of {@code p=}: SubjectPublicKeyInfo for RSA, the raw key for Ed25519. */
  static byte[] publicKeyData(PublicKey key, DkimAlgorithm algorithm) {
    byte[] spki = key.getEncoded();
    if (algorithm == DkimAlgorithm.RSA_SHA256) {
      return spki;
    }
    return Arrays.copyOfRange(spki, spki.length - 32, spki.length);
  }

  private static PrivateKey checked(PrivateKey key) {
    DkimAlgorithm.of(key);
    return key;
  }

  private static byte[] pemBody(String pem, String label) {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end, Math.max(from, 0));
    if (from < 0 || to < 0) {
      throw new MailFormatException("PEM text has no " + begin + " ... " + end + " block", -1);
    }
    String body = pem.substring(from + begin.length(), to).replaceAll("\\s+", "");
    try {
      return Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new MailFormatException("PEM block " + label + " is not valid base64", e);
    }
  }

  private static KeyFactory keyFactory(String algorithm) {
    try {
      return KeyFactory.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + algorithm, e);
    }
  }

  /** Returns true when {@code key} is an Ed25519 key (not Ed448). */
  static boolean isEd25519(Key key) {
    if (!(key instanceof EdECKey ed)) {
      return false;
    }
    NamedParameterSpec spec = ed.getParams();
    return spec != null && spec.getName().equalsIgnoreCase("Ed25519");
  }

  /** Returns true when {@code key} is an RSA key. */
  static boolean isRsa(Key key) {
    return key instanceof RSAKey;
  }

  /** Returns the bit length of an RSA key. */
  static int rsaBits(Key key) {
    return ((RSAKey) key).getModulus().bitLength();
  }

  /** Fails with the JDK's error when the key cannot be used at all. */
  static void checkUsable(PrivateKey key, DkimAlgorithm algorithm) {
    try {
      algorithm.newSignature().initSign(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("private key cannot sign " + algorithm.tagValue(), e);
    }
  }
}
