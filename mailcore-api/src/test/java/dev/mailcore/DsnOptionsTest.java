package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class DsnOptionsTest {

  @Test
  void refusesEnvelopeIdsLongerThanRfc3461Allows() {
    assertThat(DsnOptions.none().withEnvelopeId("e".repeat(100)).envelopeId()).hasValue("e".repeat(100));
    assertThatThrownBy(() -> DsnOptions.none().withEnvelopeId("e".repeat(101)))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("100 characters");
  }

  @Test
  void namesTheNullNotifySet() {
    assertThatThrownBy(() -> new DsnOptions(null, Optional.empty(), Optional.empty()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("notifyOn");
  }
}
