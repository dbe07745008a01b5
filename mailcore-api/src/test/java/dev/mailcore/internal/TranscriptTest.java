package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TranscriptTest {

  @Test
  void masksTheImapLoginPassword() {
    assertThat(Transcript.redact("A1 LOGIN bob s3cret")).isEqualTo("A1 LOGIN bob ***");
  }

  @Test
  void masksSaslInitialResponses() {
    assertThat(Transcript.redact("A2 AUTHENTICATE XOAUTH2 dXNlcj1ib2IBYXV0aD1CZWFyZXIgdG9rZW4BAQ=="))
        .isEqualTo("A2 AUTHENTICATE XOAUTH2 ***");
    assertThat(Transcript.redact("AUTH PLAIN AGJvYgBzM2NyZXQ=")).isEqualTo("AUTH PLAIN ***");
  }

  @Test
  void masksThePop3Password() {
    assertThat(Transcript.redact("PASS s3cret")).isEqualTo("PASS ***");
  }

  @Test
  void leavesOtherLinesAlone() {
    assertThat(Transcript.redact("A3 UID FETCH 1:* (ENVELOPE)")).isEqualTo("A3 UID FETCH 1:* (ENVELOPE)");
  }
}
