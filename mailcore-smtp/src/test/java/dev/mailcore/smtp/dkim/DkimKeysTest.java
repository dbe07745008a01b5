package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.MailFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DkimKeysTest {

  private static byte[] opensslSpki(String pubPem) {
    String body = pubPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s+", "");
    return Base64.getDecoder().decode(body);
  }

  private static String p(String record) {
    return record.substring(record.indexOf("p=") + 2);
  }

  @Test
  void readsPkcs8PemFilesWrittenByOpenssl(@TempDir Path dir) throws Exception {
    Path rsa = Files.writeString(dir.resolve("rsa.pem"), TestKeys.resource("rsa-2048.pem"));
    Path ed = Files.writeString(dir.resolve("ed.pem"), TestKeys.resource("ed25519.pem"));

    PrivateKey rsaKey = DkimKeys.readPrivateKey(rsa);
    PrivateKey edKey = DkimKeys.readPrivateKey(ed);

    assertThat(rsaKey.getAlgorithm()).isEqualTo("RSA");
    assertThat(DkimAlgorithm.of(edKey)).isEqualTo(DkimAlgorithm.ED25519_SHA256);
  }

  @Test
  void pkcs1PemIsRefusedWithTheConversionCommand() {
    assertThatThrownBy(() -> DkimKeys.parsePrivateKey(TestKeys.resource("rsa-pkcs1.pem")))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("openssl pkcs8 -topk8");
  }

  @Test
  void textWithoutPemBlockIsRefused() {
    assertThatThrownBy(() -> DkimKeys.parsePrivateKey("not a key"))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("BEGIN PRIVATE KEY");
  }

  @Test
  void rsaRecordPublishesTheSubjectPublicKeyInfo() {
    String pub = TestKeys.resource("rsa-2048.pub.pem");

    String record = DkimKeys.txtRecord(DkimKeys.parsePublicKey(pub));

    assertThat(record).startsWith("v=DKIM1; k=rsa; p=");
    assertThat(Base64.getDecoder().decode(p(record))).isEqualTo(opensslSpki(pub));
  }

  @Test
  void ed25519RecordPublishesTheRaw32ByteKey() {
    String pub = TestKeys.resource("ed25519.pub.pem");
    byte[] spki = opensslSpki(pub);

    String record = DkimKeys.txtRecord(DkimKeys.parsePublicKey(pub));

    assertThat(record).startsWith("v=DKIM1; k=ed25519; p=");
    assertThat(Base64.getDecoder().decode(p(record)))
        .isEqualTo(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
  }

  @Test
  void txtRecordParsesBackToTheSameKey() {
    for (KeyPair pair : new KeyPair[] {TestKeys.rsa(), TestKeys.ed25519()}) {
      PublicKey parsed = DkimKeys.parseTxtRecord(DkimKeys.txtRecord(pair.getPublic()));

      assertThat(parsed.getEncoded()).isEqualTo(pair.getPublic().getEncoded());
    }
  }

  @Test
  void revokedKeyRecordIsReported() {
    assertThatThrownBy(() -> DkimKeys.parseTxtRecord("v=DKIM1; k=rsa; p="))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("revoked");
  }

  @Test
  void generatedKeysSign() {
    for (String alg : new String[] {"rsa", "ed25519"}) {
      KeyPair pair = DkimKeys.generate(alg);

      assertThat(DkimKeys.txtRecord(pair.getPublic())).contains("k=" + alg);
    }
  }

  @Test
  void matchingKeyPairsAreRecognised() {
    KeyPair rsa = TestKeys.rsa();
    KeyPair ed = TestKeys.ed25519();

    assertThat(DkimKeys.matches(rsa.getPublic(), rsa.getPrivate())).isTrue();
    assertThat(DkimKeys.matches(ed.getPublic(), ed.getPrivate())).isTrue();
    assertThat(DkimKeys.matches(ed.getPublic(), rsa.getPrivate())).isFalse();
    PrivateKey otherRsa = DkimKeys.parsePrivateKey(TestKeys.resource("rsa-1024.pem"));
    assertThat(DkimKeys.matches(rsa.getPublic(), otherRsa)).isFalse();
  }

  @Test
  void publicKeyIsDerivedFromThePrivateKeyAsOpensslDoes() {
    for (KeyPair pair : new KeyPair[] {TestKeys.rsa(), TestKeys.ed25519()}) {
      assertThat(DkimKeys.publicKeyOf(pair.getPrivate()).orElseThrow().getEncoded())
          .isEqualTo(pair.getPublic().getEncoded());
    }
  }

  @Test
  void ed25519PublicKeyIsDerivedForFreshJdkKeys() {
    for (int i = 0; i < 5; i++) {
      KeyPair pair = DkimKeys.generate("ed25519");

      assertThat(DkimKeys.publicKeyOf(pair.getPrivate()).orElseThrow().getEncoded())
          .isEqualTo(pair.getPublic().getEncoded());
    }
  }

  @Test
  void longRecordIsCutIntoStringsOf255Bytes() {
    PublicKey key = TestKeys.rsa().getPublic();

    List<String> strings = DkimKeys.txtRecordStrings(key);

    assertThat(strings).hasSizeGreaterThan(1).allSatisfy(s -> assertThat(s.length()).isLessThanOrEqualTo(255));
    assertThat(String.join("", strings)).isEqualTo(DkimKeys.txtRecord(key));
  }
}
