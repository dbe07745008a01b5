package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HeaderFieldTest {

  @Test
  void relaxedMatchesTheRfcExample() {
    // RFC 6376 §3.4.5
    assertThat(new HeaderField("A", "A: X\r\n").relaxed()).isEqualTo("a:X\r\n");
    assertThat(new HeaderField("B", "B : Y\t\r\n\tZ  \r\n").relaxed()).isEqualTo("b:Y Z\r\n");
  }

  @Test
  void simpleKeepsTheFieldUnchanged() {
    HeaderField f = new HeaderField("Subject", "Subject:  Hi\r\n\tthere \r\n");

    assertThat(f.simple()).isEqualTo("Subject:  Hi\r\n\tthere \r\n");
  }

  @Test
  void relaxedKeepsSpaceAfterColonsInsideTheValue() {
    assertThat(new HeaderField("X", "X:  a:  b\r\n").relaxed()).isEqualTo("x:a: b\r\n");
  }

  @Test
  void relaxedOfAnEmptyValueIsNameAndColon() {
    assertThat(new HeaderField("X-Empty", "X-Empty:   \r\n").relaxed()).isEqualTo("x-empty:\r\n");
  }
}
