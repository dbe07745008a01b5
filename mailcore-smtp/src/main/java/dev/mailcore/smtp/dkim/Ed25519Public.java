package dev.mailcore.smtp.dkim;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Computes an Ed25519 public key from its 32-byte private seed (RFC 8032 §5.1.5), which the JDK
 * does internally but does not offer. Plain affine arithmetic on edwards25519 with BigInteger: it
 * runs once per key, so constant time and speed do not matter here, and it touches only the
 * private key the caller already holds.
 */
final class Ed25519Public {
  private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  private static final BigInteger D =
      BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
  private static final BigInteger SQRT_M1 =
      BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);
  private static final BigInteger[] BASE = base();

  private Ed25519Public() {}

  /** Returns the 32-byte encoded public key for a 32-byte seed. */
  static byte[] fromSeed(byte[] seed) {
    byte[] h;
    try {
      h = MessageDigest.getInstance("SHA-512").digest(seed);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-512", e);
    }
    h[0] &= (byte) 248;
    h[31] &= 127;
    h[31] |= 64;
    BigInteger scalar = littleEndian(h, 32);
    BigInteger[] point = multiply(scalar, BASE);
    byte[] out = new byte[32];
    byte[] y = point[1].toByteArray(); // big-endian, maybe with a leading zero
    for (int i = 0; i < 32 && i < y.length; i++) {
      out[i] = y[y.length - 1 - i];
    }
    if (point[0].testBit(0)) {
      out[31] |= (byte) 0x80;
    }
    return out;
  }

  private static BigInteger[] multiply(BigInteger k, BigInteger[] p) {
    BigInteger[] result = {BigInteger.ZERO, BigInteger.ONE}; // the neutral element
    BigInteger[] addend = p;
    for (int i = 0; i < k.bitLength(); i++) {
      if (k.testBit(i)) {
        result = add(result, addend);
      }
      addend = add(addend, addend);
    }
    return result;
  }

  /** Twisted Edwards addition with a = -1 (RFC 8032 §5.1.4, affine form). */
  private static BigInteger[] add(BigInteger[] p, BigInteger[] q) {
    BigInteger x1x2 = p[0].multiply(q[0]).mod(P);
    BigInteger y1y2 = p[1].multiply(q[1]).mod(P);
    BigInteger dxy = D.multiply(x1x2).mod(P).multiply(y1y2).mod(P);
    BigInteger x3 =
        p[0].multiply(q[1]).add(p[1].multiply(q[0])).multiply(BigInteger.ONE.add(dxy).modInverse(P)).mod(P);
    BigInteger y3 =
        y1y2.add(x1x2).multiply(BigInteger.ONE.subtract(dxy).mod(P).modInverse(P)).mod(P);
    return new BigInteger[] {x3, y3};
  }

  /** The base point: y = 4/5, x the even root (RFC 8032 §5.1). */
  private static BigInteger[] base() {
    BigInteger y = BigInteger.valueOf(4).multiply(BigInteger.valueOf(5).modInverse(P)).mod(P);
    BigInteger y2 = y.multiply(y).mod(P);
    BigInteger u = y2.subtract(BigInteger.ONE).mod(P);
    BigInteger v = D.multiply(y2).add(BigInteger.ONE).mod(P);
    BigInteger x2 = u.multiply(v.modInverse(P)).mod(P);
    BigInteger x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
    if (!x.multiply(x).mod(P).equals(x2)) {
      x = x.multiply(SQRT_M1).mod(P);
    }
    if (x.testBit(0)) {
      x = P.subtract(x);
    }
    return new BigInteger[] {x, y};
  }

  private static BigInteger littleEndian(byte[] b, int length) {
    byte[] be = new byte[length];
    for (int i = 0; i < length; i++) {
      be[i] = b[length - 1 - i];
    }
    return new BigInteger(1, be);
  }
}
