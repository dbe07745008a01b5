package dev.mailcore.smtp.dkim;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/** The two signing algorithms DKIM signers use today (RFC 8301, RFC 8463). */
enum DkimAlgorithm {
  /** RSASSA-PKCS1-v1_5 over SHA-256 of the header data (RFC 6376 §3.3.1). */
  RSA_SHA256("rsa-sha256", "rsa", "SHA256withRSA"),
  /** Ed25519 (pure) over the SHA-256 hash of the header data (RFC 8463 §3). */
  ED25519_SHA256("ed25519-sha256", "ed25519", "Ed25519");

  private static final int MIN_RSA_BITS = 1024;

  private final String tagValue;
  private final String keyType;
  private final String jcaName;

  DkimAlgorithm(String tagValue, String keyType, String jcaName) {
    this.tagValue = tagValue;
    this.keyType = keyType;
    this.jcaName = jcaName;
  }

  /** The {@code a=} value. */
  String tagValue() {
    return tagValue;
  }

  /** The {@code k=} value of the key record. */
  String keyType() {
    return keyType;
  }

  /**
   * Returns the algorithm for a key.
   *
   * @throws IllegalArgumentException for another kind of key, or RSA under 1024 bits (RFC 8301)
   */
  static DkimAlgorithm of(Key key) {
    if (DkimKeys.isRsa(key)) {
      int bits = DkimKeys.rsaBits(key);
      if (bits < MIN_RSA_BITS) {
        throw new IllegalArgumentException(
            "RSA key has " + bits + " bits; DKIM needs at least 1024 (RFC 8301), use 2048");
      }
      return RSA_SHA256;
    }
    if (DkimKeys.isEd25519(key)) {
      return ED25519_SHA256;
    }
    throw new IllegalArgumentException(
        "DKIM keys are RSA or Ed25519, not " + key.getAlgorithm());
  }

  Signature newSignature() throws NoSuchAlgorithmException {
    return Signature.getInstance(jcaName);
  }

  /** Signs the canonical header data. */
  byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
    Signature s = newSignature();
    s.initSign(key);
    s.update(input(data));
    return s.sign();
  }

  /** Verifies a signature over the canonical header data. */
  boolean verify(PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
    Signature s = newSignature();
    s.initVerify(key);
    s.update(input(data));
    return s.verify(signature);
  }

  private byte[] input(byte[] data) throws NoSuchAlgorithmException {
    // RFC 8463 §3: Ed25519 signs the SHA-256 hash, where RSA hashes inside the signature scheme.
    return this == ED25519_SHA256 ? sha256().digest(data) : data;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }
}
