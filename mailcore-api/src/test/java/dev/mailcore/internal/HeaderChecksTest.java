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
  void checkNameRefusesNamesThatCannotFitOnALine() {
    assertThatCode(() -> HeaderChecks.checkName("X-" + "n".repeat(74))).doesNotThrowAnyException();
    assertFormatError(() -> HeaderChecks.checkName("X-" + "n".repeat(75)), 76, "longer than 76");
  }

  @ParameterizedTest
  @ValueSource(strings = {"part1.abc@shop.example", "logo", "caf\u00e9@shop.example", "a!#$%&'*+/=?^_`{|}~@x"})
  void checkIdAcceptsMessageIdForms(String id) {
    assertThatCode(() -> HeaderChecks.checkId("Content-ID", id)).doesNotThrowAnyException();
  }

  static Stream<Arguments> invalidIds() {
    return Stream.of(
        arguments("", 0, "Content-ID is empty"),
        arguments("a\tb", 1, "control character (U+0009)"),
        arguments("a b", 1, "' ' (U+0020)"),
        arguments("a>b", 1, "'>'"),
        arguments("<a", 0, "'<'"),
        arguments("a\"b", 1, "'\"'"),
        arguments("a\\b", 1, "'\\'"),
        arguments("a\u007f", 1, "U+007F"),
        arguments("x".repeat(901), 900, "longer than 900"));
  }

  @ParameterizedTest
  @MethodSource("invalidIds")
  void checkIdRefusesWhatCannotStandBetweenAngleBrackets(String id, int index, String message) {
    assertFormatError(() -> HeaderChecks.checkId("Content-ID", id), index, message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/pdf", "text/plain; charset=\"utf-8\"", "image/svg+xml",
      "application/vnd.ms-excel", "text/plain; name=\"a\\\"b\""})
  void checkContentTypeAcceptsTypesWithParameters(String type) {
    assertThatCode(() -> HeaderChecks.checkContentType(type)).doesNotThrowAnyException();
  }

  static Stream<Arguments> invalidContentTypes() {
    return Stream.of(
        arguments("pdf", 0, "type/subtype"),
        arguments("/pdf", 0, "type/subtype"),
        arguments("text/", 4, "type/subtype"),
        arguments("text/; charset=x", 4, "type/subtype"),
        arguments("text/plain\"; boundary=zz", 10, "'\"'"),
        arguments("te xt/plain", 2, "' '"),
        arguments("text/pl/ain", 7, "'/'"),
        arguments("caf\u00e9/x", 3, "U+00E9"),
        arguments("text/plain; name=\"open", 22, "unclosed quoted string"),
        arguments("text/plain\r\nBcc: x@y.example", 10, "CR"),
        arguments("text/plain; x=" + "a".repeat(900), 900, "longer than 900"));
  }

  @ParameterizedTest
  @MethodSource("invalidContentTypes")
  void checkContentTypeRefusesWhatIsNotTypeSlashSubtype(String type, int index, String message) {
    assertFormatError(() -> HeaderChecks.checkContentType(type), index, message);
  }

  @Test
  void headerRecordAppliesBothChecks() {
    assertFormatError(() -> new Header("X-Bad:", "v"), 5, "':'");
    assertFormatError(() -> new Header("X-Ok", "v\r\nBcc: x@y.example"), 1, "CR");
    assertThat(new Header("X-Ok", "value").is("x-ok")).isTrue();
  }
}
