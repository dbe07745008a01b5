package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.mailcore.Header;
import dev.mailcore.MailFormatException;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class HeaderChecksTest {

  static Stream<Arguments> invalidNames() {
    return Stream.of(
        arguments("", 0, "header name is empty"),
        arguments("X-Bad:Name", 5, "':' (U+003A)"),
        arguments("X Campaign", 1, "' ' (U+0020)"),
        arguments("X-Campaign\r\nBcc", 10, "CR (U+000D)"),
        arguments("X-Campaign\n", 10, "LF (U+000A)"),
        arguments("X-\u0000", 2, "NUL (U+0000)"),
        arguments("X-Tab\t", 5, "control character (U+0009)"),
        arguments("X-Caf\u00e9", 5, "'\u00e9' (U+00E9)"),
        arguments("X-Del\u007f", 5, "control character (U+007F)"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidNames")
  void checkNameRejectsCharacterWithIndex(String name, int index, String fragment) {
    assertFormatError(() -> HeaderChecks.checkName(name), index, fragment);
  }

  /** Asserts a MailFormatException whose index and message name the error. */
  private static void assertFormatError(ThrowingCallable call, int index, String fragment) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            MailFormatException.class,
            e -> {
              assertThat(e.index()).hasValue(index);
              assertThat(e.getMessage()).contains(fragment).contains("(at index " + index + ")");
            });
  }

  @Test
  void checkNameNeverPrintsControlCharacters() {
    assertThatThrownBy(() -> HeaderChecks.checkName("X-A\r\nBcc"))
        .isInstanceOf(MailFormatException.class)
        .message()
        .doesNotContain("\r", "\n")
        .contains("X-A??Bcc");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"Subject", "X-Campaign-Id", "x", "List-Unsubscribe-Post", "!#$%&'*+-.^_`|~"})
  void checkNameAcceptsPrintableAsciiWithoutColon(String name) {
    assertThatCode(() -> HeaderChecks.checkName(name)).doesNotThrowAnyException();
  }

  static Stream<Arguments> invalidValues() {
    return Stream.of(
        arguments("spring sale\r\nBcc: evil@example.com", 11, "CR (U+000D)"),
        arguments("spring sale\nBcc: evil@example.com", 11, "LF (U+000A)"),
        arguments("\rleading", 0, "CR (U+000D)"),
        arguments("nul\u0000byte", 3, "NUL (U+0000)"),
        arguments("bell\u0007", 4, "control character (U+0007)"),
        arguments("del\u007f", 3, "control character (U+007F)"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidValues")
  void checkValueRejectsControlCharacterWithIndex(String value, int index, String fragment) {
    assertFormatError(() -> HeaderChecks.checkValue("X-Campaign", value), index, fragment);
    assertFormatError(() -> HeaderChecks.checkValue("X-Campaign", value), index, "X-Campaign");
  }

  @Test
  void checkValueDoesNotEchoTheValue() {
    assertThatThrownBy(() -> HeaderChecks.checkValue("X-Token", "secret-token\r\n"))
        .isInstanceOf(MailFormatException.class)
        .message()
        .doesNotContain("secret-token");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "plain", "tab\tseparated", "Olá, 世界", "a: b; c=d"})
  void checkValueAcceptsTextTabAndUnicode(String value) {
    assertThatCode(() -> HeaderChecks.checkValue("X-Note", value)).doesNotThrowAnyException();
  }

  @Test
  void checkValueRejectsNull() {
    assertThatThrownBy(() -> HeaderChecks.checkValue("X-Note", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("value");
  }

  @Test
  void describeNamesLineBreaksAndPrintables() {
    assertThat(HeaderChecks.describe('\r')).isEqualTo("CR (U+000D)");
    assertThat(HeaderChecks.describe('\n')).isEqualTo("LF (U+000A)");
    assertThat(HeaderChecks.describe('\0')).isEqualTo("NUL (U+0000)");
    assertThat(HeaderChecks.describe('x')).isEqualTo("'x' (U+0078)");
  }

  @Test
  void headerRecordAppliesBothChecks() {
    assertFormatError(() -> new Header("X-Bad:", "v"), 5, "':'");
    assertFormatError(() -> new Header("X-Ok", "v\r\nBcc: x@y.example"), 1, "CR");
    assertThat(new Header("X-Ok", "value").is("x-ok")).isTrue();
  }
}
