package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Content;
import dev.mailcore.MailFormatException;
import dev.mailcore.testing.ManualClock;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Every signature here is checked by dkimpy, an independent DKIM implementation. */
@Timeout(180)
class DkimSignerTest {
  private static final String RECORD = "s1._domainkey.shop.example";
  private static final KeyPair RSA = TestKeys.rsa();
  private static final KeyPair ED25519 = TestKeys.ed25519();

  private static final String BASIC =
      "From: Ana <ana@shop.example>\r\n"
          + "To: bob@example.org\r\n"
          + "Subject: Order 1234 shipped\r\n"
          + "Date: Tue, 01 Dec 2026 07:00:00 +0000\r\n"
          + "Message-ID: <1234@shop.example>\r\n"
          + "MIME-Version: 1.0\r\n"
          + "Content-Type: text/plain; charset=UTF-8\r\n"
          + "\r\n"
          + "Hello Bob,\r\n"
          + "your order has shipped.\r\n";

  private static DkimSigner.Builder signer(KeyPair keys) {
    return DkimSigner.builder().domain("shop.example").selector("s1").privateKey(keys.getPrivate());
  }

  private static Content content(String message) {
    return Content.ofBytes(message.getBytes(StandardCharsets.UTF_8));
  }

  private static DkimPy.Result verify(Content signed, KeyPair keys) throws IOException {
    return DkimPy.verify(signed, RECORD, DkimKeys.txtRecord(keys.getPublic()));
  }

  private static DkimPy.Result signAndVerify(DkimSigner signer, KeyPair keys, String message)
      throws IOException {
    return verify(signer.signedSource(content(message)), keys);
  }

  static Stream<Arguments> everyAlgorithmAndCanonicalization() {
    List<Arguments> all = new ArrayList<>();
    for (String alg : List.of("rsa", "ed25519")) {
      for (DkimCanonicalization h : DkimCanonicalization.values()) {
        for (DkimCanonicalization b : DkimCanonicalization.values()) {
          all.add(Arguments.of(alg, h, b));
        }
      }
    }
    return all.stream();
  }

  private static KeyPair keys(String alg) {
    return alg.equals("rsa") ? RSA : ED25519;
  }

  private static Map<String, String> tags(String header) {
    String value = header.substring(header.indexOf(':') + 1).replaceAll("\\s+", "");
    Map<String, String> tags = new java.util.LinkedHashMap<>();
    for (String tag : value.split(";")) {
      int eq = tag.indexOf('=');
      tags.put(tag.substring(0, eq), tag.substring(eq + 1));
    }
    return tags;
  }

  @ParameterizedTest(name = "{0} {1}/{2}")
  @MethodSource("everyAlgorithmAndCanonicalization")
  void signatureVerifiesWithDkimpy(String alg, DkimCanonicalization h, DkimCanonicalization b)
      throws IOException {
    DkimSigner s = signer(keys(alg)).canonicalization(h, b).build();

    DkimPy.Result result = signAndVerify(s, keys(alg), BASIC);

    assertThat(result.verified()).as(result.output()).isTrue();
    assertThat(result.output()).contains("asked=" + RECORD);
    assertThat(s.sign(content(BASIC)))
        .contains("a=" + (alg.equals("rsa") ? "rsa-sha256" : "ed25519-sha256"))
        .contains("c=" + h.tagValue() + "/" + b.tagValue());
  }

  @ParameterizedTest
  @EnumSource(DkimCanonicalization.class)
  void encodedWordHeadersVerify(DkimCanonicalization c) throws IOException {
    String message =
        "From: =?UTF-8?Q?Jo=C3=A3o_Gon=C3=A7alves?= <joao@shop.example>\r\n"
            + "To: =?UTF-8?B?w4FsdmFybw==?= <alvaro@example.org>\r\n"
            + "Subject: =?UTF-8?B?T2zDoSwgZW5jb21lbmRhIGVudmlhZGEg4pyU?=\r\n"
            + "\r\n"
            + "Ol=C3=A1\r\n";

    DkimPy.Result result = signAndVerify(signer(RSA).canonicalization(c, c).build(), RSA, message);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(DkimCanonicalization.class)
  void rawUtf8HeadersVerify(DkimCanonicalization c) throws IOException {
    String message =
        "From: João Gonçalves <joão@shop.example>\r\n"
            + "To: Ålvaro <ålvaro@exämple.org>\r\n"
            + "Subject:  Olá,   encomenda\tenviada ✔ 日本語\r\n"
            + "\r\n"
            + "Olá — UTF-8 body\r\n";

    DkimPy.Result result =
        signAndVerify(signer(ED25519).canonicalization(c, c).build(), ED25519, message);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(DkimCanonicalization.class)
  void longFoldedHeadersVerify(DkimCanonicalization c) throws IOException {
    StringBuilder refs = new StringBuilder("References:");
    for (int i = 0; i < 40; i++) {
      refs.append(i % 2 == 0 ? "\r\n\t" : "\r\n    ").append("<thread-").append(i).append("@shop.example>");
    }
    String message =
        "From: Ana <ana@shop.example>\r\n"
            + "To: bob@example.org,\r\n carol@example.org,  \r\n\t dave@example.org\r\n"
            + "Subject: a subject that goes on and on, long enough to need folding\r\n"
            + "  across   several\t\tlines   \r\n"
            + refs
            + "\r\n"
            + "\r\n"
            + "Body.\r\n";

    DkimPy.Result result = signAndVerify(signer(RSA).canonicalization(c, c).build(), RSA, message);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(DkimCanonicalization.class)
  void trailingBlankLinesAndWhitespaceVerify(DkimCanonicalization c) throws IOException {
    String message =
        BASIC.replace("your order has shipped.\r\n", "spaces at the end   \r\n\t tab  start\r\n\r\n\r\n\r\n");

    DkimPy.Result result = signAndVerify(signer(RSA).canonicalization(c, c).build(), RSA, message);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(DkimCanonicalization.class)
  void blankLinesAddedAtTheEndAfterSigningStillVerify(DkimCanonicalization c) throws IOException {
    String header = signer(ED25519).canonicalization(c, c).build().sign(content(BASIC));

    DkimPy.Result result = verify(content(header + BASIC + "\r\n\r\n"), ED25519);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(DkimCanonicalization.class)
  void emptyBodyVerifies(DkimCanonicalization c) throws IOException {
    String headersOnly = BASIC.substring(0, BASIC.indexOf("\r\n\r\n") + 4);

    DkimPy.Result result =
        signAndVerify(signer(ED25519).canonicalization(c, c).build(), ED25519, headersOnly);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @Test
  void messageWithoutBodySeparatorVerifies() throws IOException {
    String noSeparator = BASIC.substring(0, BASIC.indexOf("\r\n\r\n") + 2);

    DkimPy.Result result = signAndVerify(signer(RSA).build(), RSA, noSeparator);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @Test
  void bareLfMessageIsSentWithCrlfAndVerifies() throws IOException {
    String lf = BASIC.replace("\r\n", "\n") + "\n\n";
    DkimSigner s = signer(RSA).canonicalization(DkimCanonicalization.SIMPLE, DkimCanonicalization.SIMPLE).build();

    Content signed = s.signedSource(content(lf));

    assertThat(new String(signed.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", ""))
        .doesNotContain("\n");
    DkimPy.Result result = verify(signed, RSA);
    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @Test
  void twentyMegabyteAttachmentVerifies(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("big.eml");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      out.write(
          ("From: Ana <ana@shop.example>\r\nTo: bob@example.org\r\nSubject: big\r\n"
                  + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                  + "--b1\r\nContent-Type: text/plain\r\n\r\nSee attachment.\r\n--b1\r\n"
                  + "Content-Type: application/octet-stream\r\n"
                  + "Content-Transfer-Encoding: base64\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      Random random = new Random(42);
      byte[] chunk = new byte[57]; // 57 bytes make one 76-character base64 line
      Base64.Encoder enc = Base64.getEncoder();
      long written = 0;
      while (written < 20L * 1024 * 1024) {
        random.nextBytes(chunk);
        out.write(enc.encode(chunk));
        out.write('\r');
        out.write('\n');
        written += 78;
      }
      out.write("--b1--\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    DkimSigner s = signer(ED25519).build();

    DkimPy.Result result = verify(s.signedSource(Content.ofPath(file)), ED25519);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @Test
  void tamperedBodyFailsVerification() throws IOException {
    String header = signer(RSA).build().sign(content(BASIC));

    DkimPy.Result result = verify(content(header + BASIC.replace("shipped", "shipped!")), RSA);

    assertThat(result.verified()).isFalse();
    assertThat(result.output()).contains("body hash mismatch");
  }

  @Test
  void addedFromFailsVerification() throws IOException {
    String header = signer(RSA).build().sign(content(BASIC));

    DkimPy.Result atTop = verify(content("From: Mallory <m@evil.example>\r\n" + header + BASIC), RSA);
    DkimPy.Result below = verify(content(header + "From: Mallory <m@evil.example>\r\n" + BASIC), RSA);

    assertThat(atTop.verified()).isFalse();
    assertThat(below.verified()).isFalse();
    assertThat(atTop.output()).doesNotContain("body hash mismatch").contains("asked=" + RECORD);
  }

  @Test
  void addedSubjectFailsVerification() throws IOException {
    String header = signer(ED25519).build().sign(content(BASIC));

    DkimPy.Result result = verify(content(header + "Subject: Urgent\r\n" + BASIC), ED25519);

    assertThat(result.verified()).isFalse();
  }

  @Test
  void unsignedHeaderAddedLaterStillVerifies() throws IOException {
    String header = signer(RSA).build().sign(content(BASIC));

    DkimPy.Result result =
        verify(content("Received: from relay.example by mx.example.org\r\n" + header + BASIC), RSA);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @Test
  void headerListNamesEachOverSignedFieldOnceMoreThanItOccurs() {
    String message =
        BASIC.replace("To: bob@example.org\r\n", "To: bob@example.org\r\nTo: carol@example.org\r\n")
            .replace("\r\n\r\n", "\r\nList-Unsubscribe: <mailto:u@shop.example>\r\nX-Campaign: 7\r\n\r\n");

    String header = signer(RSA).build().sign(content(message));

    assertThat(tags(header).get("h").split(":"))
        .containsExactly(
            "from", "from", "subject", "subject", "date", "date", "message-id", "message-id",
            "to", "to", "to", "mime-version", "content-type", "list-unsubscribe");
  }

  @Test
  void timestampAndExpiryComeFromTheClock() {
    ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00Z"));

    String header = signer(RSA).clock(clock).expireAfter(Duration.ofDays(7)).build().sign(content(BASIC));

    long t = Instant.parse("2026-03-01T10:00:00Z").getEpochSecond();
    assertThat(tags(header)).containsEntry("t", Long.toString(t))
        .containsEntry("x", Long.toString(t + 7 * 86400))
        .containsEntry("d", "shop.example")
        .containsEntry("s", "s1")
        .doesNotContainKey("l");
  }

  @Test
  void signatureWithinItsExpiryVerifies() throws IOException {
    ManualClock clock = new ManualClock(Instant.now().minus(Duration.ofHours(1)));
    DkimSigner s = signer(RSA).clock(clock).expireAfter(Duration.ofDays(7)).build();

    DkimPy.Result result = signAndVerify(s, RSA, BASIC);

    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @Test
  void expiredSignatureFailsVerification() throws IOException {
    ManualClock clock = new ManualClock(Instant.now().minus(Duration.ofDays(10)));
    DkimSigner s = signer(RSA).clock(clock).expireAfter(Duration.ofDays(1)).build();

    DkimPy.Result result = signAndVerify(s, RSA, BASIC);

    assertThat(result.verified()).isFalse();
    assertThat(result.output()).contains("x= value is past");
  }

  @Test
  void signatureHeaderIsFoldedIntoShortLines() {
    String header = signer(RSA).build().sign(content(BASIC));

    assertThat(header).startsWith("DKIM-Signature: v=1;").endsWith("\r\n");
    for (String line : header.split("\r\n")) {
      assertThat(line.length()).as(line).isLessThanOrEqualTo(78);
    }
  }

  @Test
  void signingTwiceGivesTheSameBytesForTheSameClock() {
    DkimSigner s = signer(RSA).clock(ManualClock.ofDefaults()).build();

    Content signed = s.signedSource(content(BASIC));

    assertThat(signed.readAllBytes()).isEqualTo(signed.readAllBytes());
  }

  @Test
  void writeSignedWritesTheSignatureThenTheMessage() {
    DkimSigner s = signer(ED25519).clock(ManualClock.ofDefaults()).build();
    var out = new java.io.ByteArrayOutputStream();

    s.writeSigned(content(BASIC), out);

    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(s.sign(content(BASIC)) + BASIC);
  }

  @Test
  void messageWithoutFromIsRejected() {
    String noFrom = BASIC.replace("From: Ana <ana@shop.example>\r\n", "");

    assertThatThrownBy(() -> signer(RSA).build().sign(content(noFrom)))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("From");
  }

  @Test
  void headerLineWithoutColonIsRejected() {
    String broken = BASIC.replace("MIME-Version: 1.0", "MIME-Version 1.0");

    assertThatThrownBy(() -> signer(RSA).build().sign(content(broken)))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("colon");
  }

  @Test
  void shortRsaKeyIsRefused() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(768);
    KeyPair weak = gen.generateKeyPair();

    assertThatThrownBy(() -> DkimSigner.builder().privateKey(weak.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("768 bits");
  }

  @Test
  void buildWithoutSelectorFails() {
    DkimSigner.Builder b = DkimSigner.builder().domain("shop.example").privateKey(RSA.getPrivate());

    assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("selector");
  }

  @Test
  void internationalizedDomainIsSignedInAsciiForm() {
    DkimSigner s = DkimSigner.builder().domain("loja.exämple").selector("s1").privateKey(RSA.getPrivate()).build();

    assertThat(s.domain()).isEqualTo("loja.xn--exmple-cua");
    assertThat(s.keyRecordName()).isEqualTo("s1._domainkey.loja.xn--exmple-cua");
  }

  @Test
  void pemFileKeyIsReadForTheBuilder(@TempDir Path dir) throws IOException {
    Path pem = Files.writeString(dir.resolve("k.pem"), TestKeys.resource("ed25519.pem"));

    DkimSigner s = DkimSigner.builder().domain("shop.example").selector("s1").privateKey(pem).build();

    assertThat(s.algorithm()).isEqualTo("ed25519-sha256");
    DkimPy.Result result = signAndVerify(s, ED25519, BASIC);
    assertThat(result.verified()).as(result.output()).isTrue();
  }


  @Test
  void rsaAndEd25519SignaturesTogetherBothVerify() throws IOException {
    MessageSigner both =
        MessageSigner.all(
            List.of(
                signer(RSA).selector("rsa1").build(),
                signer(ED25519).selector("ed1").build()));
    Map<String, String> keys =
        Map.of(
            "rsa1._domainkey.shop.example", DkimKeys.txtRecord(RSA.getPublic()),
            "ed1._domainkey.shop.example", DkimKeys.txtRecord(ED25519.getPublic()));

    Content signed = both.signedSource(content(BASIC));

    DkimPy.Result top = DkimPy.verify(signed, 0, keys);
    DkimPy.Result second = DkimPy.verify(signed, 1, keys);
    assertThat(top.verified()).as(top.output()).isTrue();
    assertThat(top.output()).contains("asked=rsa1._domainkey.shop.example");
    assertThat(second.verified()).as(second.output()).isTrue();
    assertThat(second.output()).contains("asked=ed1._domainkey.shop.example");
  }
}
