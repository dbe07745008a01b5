package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class BodyCanonicalizerTest {
  /** The body of the example in RFC 6376 §3.4.5. */
  private static final String RFC_BODY = " C \r\nD \t E\r\n\r\n\r\n";

  private static String hash(DkimCanonicalization c, String body, int chunk) {
    MessageDigest digest = DkimAlgorithm.sha256();
    byte[] bytes = body.getBytes(StandardCharsets.ISO_8859_1);
    try (BodyCanonicalizer out = new BodyCanonicalizer(digest, c)) {
      for (int i = 0; i < bytes.length; i += chunk) {
        out.write(bytes, i, Math.min(chunk, bytes.length - i));
      }
    }
    return Base64.getEncoder().encodeToString(digest.digest());
  }

  private static String sha256(String canonical) {
    return Base64.getEncoder()
        .encodeToString(DkimAlgorithm.sha256().digest(canonical.getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void relaxedMatchesTheRfcExample() {
    assertThat(hash(DkimCanonicalization.RELAXED, RFC_BODY, 4096)).isEqualTo(sha256(" C\r\nD E\r\n"));
  }

  @Test
  void simpleMatchesTheRfcExample() {
    assertThat(hash(DkimCanonicalization.SIMPLE, RFC_BODY, 4096)).isEqualTo(sha256(" C \r\nD \t E\r\n"));
  }

  @Test
  void resultDoesNotDependOnHowTheBytesAreSplit() {
    for (DkimCanonicalization c : DkimCanonicalization.values()) {
      assertThat(hash(c, RFC_BODY, 1)).isEqualTo(hash(c, RFC_BODY, 4096));
    }
  }

  @Test
  void emptyBodyIsCrlfInSimpleAndNothingInRelaxed() {
    assertThat(hash(DkimCanonicalization.SIMPLE, "", 1)).isEqualTo(sha256("\r\n"));
    assertThat(hash(DkimCanonicalization.RELAXED, "", 1)).isEqualTo(sha256(""));
  }

  @Test
  void bodyOfOnlyBlankLinesCountsAsEmpty() {
    assertThat(hash(DkimCanonicalization.SIMPLE, "\r\n\r\n\r\n", 1)).isEqualTo(sha256("\r\n"));
    assertThat(hash(DkimCanonicalization.RELAXED, "  \r\n\t\r\n", 1)).isEqualTo(sha256(""));
  }

  @Test
  void lastLineWithoutCrlfGetsOne() {
    assertThat(hash(DkimCanonicalization.SIMPLE, "abc", 1)).isEqualTo(sha256("abc\r\n"));
    assertThat(hash(DkimCanonicalization.RELAXED, "abc  ", 1)).isEqualTo(sha256("abc\r\n"));
  }

  @Test
  void bareLfCountsAsLineEndAndBareCrAsContent() {
    assertThat(hash(DkimCanonicalization.SIMPLE, "a\nb\rc\n\n", 1)).isEqualTo(sha256("a\r\nb\rc\r\n"));
  }

  @Test
  void blankLinesInsideTheBodyAreKept() {
    assertThat(hash(DkimCanonicalization.RELAXED, "a\r\n\r\n \r\nb\r\n\r\n", 2))
        .isEqualTo(sha256("a\r\n\r\n\r\nb\r\n"));
  }
}
