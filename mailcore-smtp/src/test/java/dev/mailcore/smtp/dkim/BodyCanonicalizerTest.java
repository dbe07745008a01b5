package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
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
  @Test
  void matchesTheRfcRulesForRandomBodiesAndSplits() {
    matchesTheModel("ab \t\r\n", 60, 8);
  }

  @Test
  void matchesTheRfcRulesForLongRunsBetweenWhitespaceAndLineEnds() {
    matchesTheModel("abcdefghijklmnopqrstuvwxyz0123456789".repeat(3) + " \t\r\n\u00e9", 600, 200);
  }

  private static void matchesTheModel(String alphabet, int maxLength, int maxSplit) {
    java.util.Random random = new java.util.Random(20261201);
    for (int round = 0; round < 2000; round++) {
      StringBuilder body = new StringBuilder();
      for (int i = random.nextInt(maxLength); i > 0; i--) {
        body.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      for (DkimCanonicalization c : DkimCanonicalization.values()) {
        String b = body.toString();
        assertThat(hash(c, b, 1 + random.nextInt(maxSplit)))
            .as("%s body %s", c, b.replace("\r", "<CR>").replace("\n", "<LF>").replace("\t", "<TAB>"))
            .isEqualTo(sha256(model(c, b)));
      }
    }
  }

  /**
   * RFC 6376 §3.4.3 and §3.4.4 applied to a whole body: CRLF or a bare LF ends a line (a bare CR is
   * content); relaxed turns each run of spaces and tabs into one space and drops it at a line's end;
   * empty lines at the end go; an empty body is CRLF (simple) or nothing (relaxed).
   */
  private static String model(DkimCanonicalization c, String body) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    boolean open = false;
    for (int i = 0; i < body.length(); i++) {
      char ch = body.charAt(i);
      if (ch == '\n' || (ch == '\r' && i + 1 < body.length() && body.charAt(i + 1) == '\n')) {
        i += ch == '\r' ? 1 : 0;
        lines.add(line.toString());
        line.setLength(0);
        open = false;
      } else {
        line.append(ch);
        open = true;
      }
    }
    if (open) {
      lines.add(line.toString());
    }
    if (c == DkimCanonicalization.RELAXED) {
      lines.replaceAll(l -> l.replaceAll("[ \t]+", " ").replaceAll(" \\z", ""));
    }
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    if (lines.isEmpty()) {
      return c == DkimCanonicalization.SIMPLE ? "\r\n" : "";
    }
    return String.join("\r\n", lines) + "\r\n";
  }
}
