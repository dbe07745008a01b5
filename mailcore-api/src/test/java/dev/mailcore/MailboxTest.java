package dev.mailcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MailboxTest {

  private static final String NONE = null;

  /** input, expected display name (null for none), local part (unquoted), domain. */
  static Stream<Arguments> validAddresses() {
    String label63 = "d".repeat(63);
    String domain255 = label63 + "." + label63 + "." + label63 + "." + label63;
    return Stream.of(
        // RFC 5322 §3.4.1 addr-spec with dot-atoms
        arguments("simple@example.com", NONE, "simple", "example.com"),
        arguments("very.common@example.com", NONE, "very.common", "example.com"),
        arguments("x@example.com", NONE, "x", "example.com"),
        arguments(
            "user.name+tag+sorting@example.com", NONE, "user.name+tag+sorting", "example.com"),
        arguments(
            "disposable.style.email.with+symbol@example.com",
            NONE,
            "disposable.style.email.with+symbol",
            "example.com"),
        arguments(
            "other.email-with-hyphen@example.com", NONE, "other.email-with-hyphen", "example.com"),
        arguments(
            "example-indeed@strange-example.com", NONE, "example-indeed", "strange-example.com"),
        arguments("user-@example.org", NONE, "user-", "example.org"),
        arguments("mailhost!username@example.org", NONE, "mailhost!username", "example.org"),
        arguments("user%example.com@example.org", NONE, "user%example.com", "example.org"),
        arguments("o'reilly@example.com", NONE, "o'reilly", "example.com"),
        arguments("{_test_}@example.com", NONE, "{_test_}", "example.com"),
        arguments("test|ok~@example.com", NONE, "test|ok~", "example.com"),
        arguments("#!$%&'*+-/=?^_`{}|~@example.org", NONE, "#!$%&'*+-/=?^_`{}|~", "example.org"),
        arguments("A@EXAMPLE.COM", NONE, "A", "EXAMPLE.COM"),
        // RFC 3696 §3 as corrected by its errata (the backslash is only valid inside quotes)
        arguments(
            "customer/department=shipping@example.com",
            NONE,
            "customer/department=shipping",
            "example.com"),
        arguments("$A12345@example.com", NONE, "$A12345", "example.com"),
        arguments("!def!xyz%abc@example.com", NONE, "!def!xyz%abc", "example.com"),
        arguments("_somename@example.com", NONE, "_somename", "example.com"),
        arguments("\"Abc@def\"@example.com", NONE, "Abc@def", "example.com"),
        arguments("\"Abc\\@def\"@example.com", NONE, "Abc@def", "example.com"),
        arguments("\"Fred\\ Bloggs\"@example.com", NONE, "Fred Bloggs", "example.com"),
        arguments("\"Fred Bloggs\"@example.com", NONE, "Fred Bloggs", "example.com"),
        arguments("\"Joe.\\\\Blow\"@example.com", NONE, "Joe.\\Blow", "example.com"),
        // quoted local parts (RFC 5322 §3.2.4, RFC 5321 §4.1.2 Quoted-string)
        arguments("\"john doe\"@x.example", NONE, "john doe", "x.example"),
        arguments("\"a\\\"b\"@x.example", NONE, "a\"b", "x.example"),
        arguments("\"john..doe\"@example.org", NONE, "john..doe", "example.org"),
        arguments("\".leading\"@example.org", NONE, ".leading", "example.org"),
        arguments("\" \"@example.org", NONE, " ", "example.org"),
        arguments("\"plain\"@example.org", NONE, "plain", "example.org"),
        arguments(
            "\"very.(),:;<>[]\\\".VERY.\\\"very@\\\\ \\\"very\\\".unusual\"@strange.example.com",
            NONE,
            "very.(),:;<>[]\".VERY.\"very@\\ \"very\".unusual",
            "strange.example.com"),
        // domains (RFC 5321 §4.1.2), dotless, numeric labels that are not the TLD
        arguments("admin@mailserver1", NONE, "admin", "mailserver1"),
        arguments("a@sub.domain.example.co.uk", NONE, "a", "sub.domain.example.co.uk"),
        arguments("a@123.example", NONE, "a", "123.example"),
        arguments("a@x-y.example", NONE, "a", "x-y.example"),
        arguments("a@example.c0m", NONE, "a", "example.c0m"),
        // limits: exactly 64 octets of local part, 63 of a label, 255 of a domain
        arguments("a@" + domain255, NONE, "a", domain255),
        arguments("a".repeat(64) + "@x.example", NONE, "a".repeat(64), "x.example"),
        arguments("a@" + "b".repeat(63) + ".example", NONE, "a", "b".repeat(63) + ".example"),
        // address literals (RFC 5321 §4.1.3)
        arguments("user@[192.0.2.1]", NONE, "user", "[192.0.2.1]"),
        arguments("user@[IPv6:2001:db8::1]", NONE, "user", "[IPv6:2001:db8::1]"),
        arguments("user@[IPv6:2001:db8:0:0:0:0:0:1]", NONE, "user", "[IPv6:2001:db8:0:0:0:0:0:1]"),
        arguments("user@[IPv6:::1]", NONE, "user", "[IPv6:::1]"),
        arguments("user@[ipv6:2001:DB8::1]", NONE, "user", "[ipv6:2001:DB8::1]"),
        arguments("user@[IPv6:::ffff:192.0.2.1]", NONE, "user", "[IPv6:::ffff:192.0.2.1]"),
        arguments("Ana <ana@[IPv6:2001:db8::1]>", "Ana", "ana", "[IPv6:2001:db8::1]"),
        // RFC 6531 UTF-8 local parts, IDN domains in Unicode and A-label form
        arguments("用户@例子.广告", NONE, "用户", "例子.广告"),
        arguments("josé@example.com", NONE, "josé", "example.com"),
        arguments("müller@münchen.example", NONE, "müller", "münchen.example"),
        arguments("δοκιμή@παράδειγμα.δοκιμή", NONE, "δοκιμή", "παράδειγμα.δοκιμή"),
        arguments("我買@屋企.香港", NONE, "我買", "屋企.香港"),
        arguments("user@bücher.example", NONE, "user", "bücher.example"),
        arguments("user@xn--bcher-kva.example", NONE, "user", "xn--bcher-kva.example"),
        arguments("\"josé doe\"@example.com", NONE, "josé doe", "example.com"),
        // name-addr (RFC 5322 §3.4)
        arguments("Display Name <local@example.com>", "Display Name", "local", "example.com"),
        arguments("\"Quoted, Name\" <a@b.example>", "Quoted, Name", "a", "b.example"),
        arguments("\"Ana Lima\" <ana@shop.example>", "Ana Lima", "ana", "shop.example"),
        arguments("<a@b.example>", NONE, "a", "b.example"),
        arguments("< a@b.example >", NONE, "a", "b.example"),
        arguments("Name<a@b.example>", "Name", "a", "b.example"),
        arguments("\"\" <a@b.example>", NONE, "a", "b.example"),
        arguments("  spaced   name   <a@x.example>  ", "spaced name", "a", "x.example"),
        arguments("Ana\tLima <a@x.example>", "Ana Lima", "a", "x.example"),
        arguments("Ana \"the boss\" Lima <a@x.example>", "Ana the boss Lima", "a", "x.example"),
        arguments("José Lima <jose@example.com>", "José Lima", "jose", "example.com"),
        arguments("John Q. Public <jqp@example.com>", "John Q. Public", "jqp", "example.com"),
        arguments("\"a \\\"quote\\\"\" <a@x.example>", "a \"quote\"", "a", "x.example"),
        // comments and folding whitespace (RFC 5322 §3.2.2, example A.5)
        arguments("a@b.example (comment)", NONE, "a", "b.example"),
        arguments("(comment) a@b.example", NONE, "a", "b.example"),
        arguments("a(comment)@b.example", NONE, "a", "b.example"),
        arguments("a@b.example (nested (comment) \\) here)", NONE, "a", "b.example"),
        arguments(
            "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
            "Pete",
            "pete",
            "silly.test"),
        arguments("a@b.example   ", NONE, "a", "b.example"),
        arguments("Ana\r\n Lima <a@x.example>", "Ana Lima", "a", "x.example"),
        arguments("\"Ana\r\n Lima\" <a@x.example>", "Ana Lima", "a", "x.example"),
        arguments("<a@x.example>\r\n\t(folded comment)", NONE, "a", "x.example"),
        // RFC 2047 encoded-words in the display name
        arguments("=?UTF-8?Q?Jos=C3=A9?= <j@x.example>", "José", "j", "x.example"),
        arguments("=?ISO-8859-1?B?Sm9z6Q==?= <j@x.example>", "José", "j", "x.example"),
        arguments("=?utf-8?q?Ana_Lima?= <a@x.example>", "Ana Lima", "a", "x.example"),
        arguments("=?UTF-8?Q?Jos?= =?UTF-8?Q?=C3=A9?= <j@x.example>", "José", "j", "x.example"),
        arguments("=?UTF-8?Q?Ana?= Lima <a@x.example>", "Ana Lima", "a", "x.example"),
        arguments("\"=?UTF-8?Q?Jos=C3=A9?=\" <j@x.example>", "José", "j", "x.example"),
        arguments("=?x-unknown?Q?abc?= <a@x.example>", "=?x-unknown?Q?abc?=", "a", "x.example"));
  }

  /** input, index of the error, a fragment of the message. */
  static Stream<Arguments> invalidAddresses() {
    String label63 = "a".repeat(63);
    String longDomain = label63 + "." + label63 + "." + label63 + "." + label63 + ".com";
    return Stream.of(
        arguments("", 0, "empty"),
        arguments("   ", 0, "empty"),
        arguments("(just a comment)", 0, "empty"),
        arguments("plainaddress", 12, "missing '@'"),
        arguments("Abc.example.com", 15, "missing '@'"),
        arguments("@example.com", 0, "missing local part"),
        arguments("<@example.com>", 1, "missing local part"),
        arguments("user@", 5, "missing domain"),
        arguments("user@ (comment)", 15, "missing domain"),
        arguments("<user@>", 6, "missing domain"),
        arguments(".user@example.com", 0, "starts with '.'"),
        arguments("user.@example.com", 4, "ends with '.'"),
        arguments("us..er@example.com", 3, "'..'"),
        arguments("john..doe@example.com", 5, "'..'"),
        arguments("user@.example.com", 5, "domain starts with '.'"),
        arguments("user@example.com.", 16, "domain ends with '.'"),
        arguments("user@example..com", 13, "domain contains '..'"),
        arguments("john.doe@example..com", 17, "domain contains '..'"),
        arguments("\"unclosed@example.com", 0, "quoted string is not closed"),
        arguments("this is\"not\\allowed@example.com", 7, "quoted string is not closed"),
        arguments("a\"b(c)d,e:f;g<h>i[j\\k]l@example.com", 1, "quoted string is not closed"),
        arguments("just\"not\"right@example.com", 4, "one dot-atom or one quoted string"),
        arguments("\"john\".doe@example.com", 6, "one dot-atom or one quoted string"),
        arguments("Fred Bloggs@example.com", 4, "one dot-atom or one quoted string"),
        arguments("Fred\\ Bloggs@example.com", 4, "'\\'"),
        arguments("this\\ still\\\"not\\\\allowed@example.com", 4, "'\\'"),
        arguments("<user@example.com", 0, "'<' is not closed"),
        arguments("Name <user@example.com", 5, "'<' is not closed"),
        arguments("user@example.com>", 16, "'>' without a matching '<'"),
        arguments("user@example.com (comment", 17, "comment '(' is not closed"),
        arguments("(unclosed a@b.example", 0, "comment '(' is not closed"),
        arguments("user@ex(ample.com", 7, "comment '(' is not closed"),
        arguments("user@example.com)", 16, "')' without a matching '('"),
        arguments("user]@example.com", 4, "']' without a matching '['"),
        arguments("user@example.com]", 16, "']' without a matching '['"),
        arguments("a,b@example.com", 1, "unexpected ',' (U+002C) in the address"),
        arguments("<a,b@example.com>", 2, "unexpected ',' (U+002C) in the address"),
        arguments("a;b@example.com", 1, "unexpected ';' (U+003B) in the address"),
        arguments("user@[192.0.2.1", 5, "'[' of the address literal is not closed"),
        arguments("user@example.com\"", 16, "unexpected '\"' (U+0022) after the address"),
        // header injection: CR, LF, NUL and other control characters anywhere
        arguments("user@example.com\r\nBcc: evil@example.com", 16, "CR (U+000D)"),
        arguments("user@example.com\nBcc: evil@example.com", 16, "LF (U+000A)"),
        arguments("user@example.com\r\n", 16, "CR (U+000D)"),
        arguments("Name\r\nBcc: x@y.example <a@b.example>", 4, "CR (U+000D)"),
        arguments("\"a\rb\"@x.example", 2, "CR (U+000D)"),
        arguments("us\u0000er@example.com", 2, "NUL (U+0000)"),
        arguments("a\u007f@x.example", 1, "U+007F"),
        arguments("a\u0085@x.example", 1, "U+0085"),
        arguments("a@x.example\u001b", 11, "U+001B"),
        arguments("a\ud800@x.example", 1, "unpaired surrogate"),
        arguments("\"tab\there\"@x.example", 4, "tab"),
        arguments("=?UTF-8?Q?a=0D=0Ab?= <a@x.example>", 0, "decodes to CR"),
        // lengths (RFC 5321 §4.5.3.1)
        arguments("a".repeat(65) + "@x.example", 0, "65 octets"),
        arguments("é".repeat(33) + "@x.example", 0, "66 octets"),
        arguments("\"" + "a b" + "c".repeat(60) + "\"@x.example", 0, "65 octets"),
        arguments("a@" + "b".repeat(64) + ".example", 2, "64 octets"),
        arguments("a@" + longDomain, 2, "259 octets"),
        // domain syntax (RFC 5321 §4.1.2, RFC 1123 §2.1)
        arguments("user@-example.com", 5, "starts with '-'"),
        arguments("user@example-.com", 12, "ends with '-'"),
        arguments("user@example.-com", 13, "starts with '-'"),
        arguments("user@1.2.3.4", 11, "all-numeric"),
        arguments("user@example.123", 13, "all-numeric"),
        arguments("user@exa_mple.com", 8, "'_'"),
        arguments("user@bü_cher.example", 7, "'_'"),
        arguments("user@exam\u3002ple.com", 9, "separate labels with '.'"),
        arguments("user@xn--a.example", 5, "not a valid A-label"),
        arguments("user@\"example\".com", 5, "missing domain"),
        // address literals
        arguments("user@[300.0.0.1]", 6, "not a valid IPv4"),
        arguments("user@[1.2.3]", 6, "not a valid IPv4"),
        arguments("user@[]", 6, "address literal is empty"),
        arguments("user@[ 1.2.3.4]", 6, "' ' (U+0020)"),
        arguments("user@[IPv6:2001:db8::g]", 11, "not a valid IPv6"),
        arguments("user@[IPv6:1:2:3:4:5:6:7:8:9]", 11, "not a valid IPv6"),
        arguments("user@[IPv6:1:2:3:4:5:6:7]", 11, "not a valid IPv6"),
        arguments("user@[IPv6:2001::db8::1]", 11, "not a valid IPv6"),
        arguments("user@[IPv6:1.2.3.4::]", 11, "not a valid IPv6"),
        arguments("user@[foo:bar]", 6, "tag 'foo' is not supported"),
        // structure
        arguments("A@b@c@example.com", 3, "unexpected '@'"),
        arguments("a@b.example c", 12, "after the address"),
        arguments("user@exa mple.com", 9, "after the address"),
        arguments("a@b.example, c@d.example", 11, "only one address expected"),
        arguments("Team: a@x.example;", 4, "a group is not a single mailbox"),
        arguments("John Doe", 8, "must be followed by an address"),
        arguments("<John Doe>", 9, "missing '@'"),
        arguments("<>", 1, "empty address in '<>'"),
        arguments("<a@b.example> c", 14, "after the address"),
        arguments("<a@b.example c>", 13, "expected '>'"),
        arguments("<@relay.example:user@example.com>", 1, "source routes"),
        arguments("\"\"@example.com", 0, "local part is empty"),
        arguments("[a]@example.com", 0, "unexpected '['"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("validAddresses")
  void parsesValidAddressIntoParts(String input, String name, String localPart, String domain) {
    Mailbox m = Mailbox.parse(input);

    assertThat(m.displayName()).isEqualTo(java.util.Optional.ofNullable(name));
    assertThat(m.localPart()).isEqualTo(localPart);
    assertThat(m.domain()).isEqualTo(domain);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("validAddresses")
  void formattedFormsParseBackToEqualMailbox(String input) {
    Mailbox m = Mailbox.parse(input);

    assertThat(Mailbox.parse(m.toString())).isEqualTo(m);
    Mailbox bare = Mailbox.parse(m.address());
    assertThat(bare.sameAddress(m)).isTrue();
    assertThat(bare.displayName()).isEmpty();
    assertThat(Mailbox.parse(m.asciiAddress()).sameAddress(m)).isTrue();
    assertThat(Mailbox.parseList(m + ", " + m)).containsExactly(m, m);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("validAddresses")
  void partsOfValidAddressPassOfValidation(String input) {
    Mailbox m = Mailbox.parse(input);

    assertThat(Mailbox.of(m.displayName().orElse(null), m.localPart(), m.domain())).isEqualTo(m);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidAddresses")
  void rejectsInvalidAddressWithIndex(String input, int index, String fragment) {
    assertFormatError(() -> Mailbox.parse(input), index, fragment);
    assertThat(Mailbox.tryParse(input)).isEmpty();
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
  void tableHasEnoughCases() {
    assertThat(validAddresses().count()).isGreaterThanOrEqualTo(60);
    assertThat(invalidAddresses().count()).isGreaterThanOrEqualTo(40);
  }

  @Test
  void tryParseReturnsMailboxForValidText() {
    assertThat(Mailbox.tryParse("Ana <ana@shop.example>"))
        .hasValue(Mailbox.of("Ana", "ana", "shop.example"));
  }

  @Test
  void tryParseReturnsEmptyForNull() {
    assertThat(Mailbox.tryParse(null)).isEmpty();
  }

  @Test
  void parseRejectsNull() {
    assertThatThrownBy(() -> Mailbox.parse(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("text");
  }

  // ------------------------------------------------------------------ lists and groups

  @Test
  void parseListReturnsMembersOfGroupInOrder() {
    assertThat(Mailbox.parseList("Team: a@x.example, B <b@y.example>;"))
        .containsExactly(Mailbox.of("a", "x.example"), Mailbox.of("B", "b", "y.example"));
  }

  @Test
  void parseListMixesMailboxesAndGroups() {
    assertThat(
            Mailbox.parseList(
                "first@a.example, Team: a@x.example;, \"Lima, Ana\" <ana@y.example> (x),"
                    + " last@b.example"))
        .containsExactly(
            Mailbox.of("first", "a.example"),
            Mailbox.of("a", "x.example"),
            Mailbox.of("Lima, Ana", "ana", "y.example"),
            Mailbox.of("last", "b.example"));
  }

  @Test
  void emptyGroupYieldsNoMailbox() {
    assertThat(Mailbox.parseList("undisclosed-recipients:;")).isEmpty();
    assertThat(Mailbox.parseList("undisclosed-recipients: ; ")).isEmpty();
  }

  @Test
  void parseListToleratesEmptyElements() {
    assertThat(Mailbox.parseList("a@x.example,,b@y.example"))
        .containsExactly(Mailbox.of("a", "x.example"), Mailbox.of("b", "y.example"));
    assertThat(Mailbox.parseList(" , a@x.example , "))
        .containsExactly(Mailbox.of("a", "x.example"));
    assertThat(Mailbox.parseList("G: , a@x.example,, ;"))
        .containsExactly(Mailbox.of("a", "x.example"));
  }

  @Test
  void parseListReadsFoldedHeaderValue() {
    assertThat(Mailbox.parseList("a@x.example,\r\n B <b@y.example>,\r\n\tc@z.example"))
        .containsExactly(
            Mailbox.of("a", "x.example"),
            Mailbox.of("B", "b", "y.example"),
            Mailbox.of("c", "z.example"));
  }

  @Test
  void parseListReturnsUnmodifiableList() {
    List<Mailbox> list = Mailbox.parseList("a@x.example");

    assertThatThrownBy(() -> list.add(Mailbox.of("b", "x.example")))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  static Stream<Arguments> invalidLists() {
    return Stream.of(
        arguments("", 0, "address list is empty"),
        arguments(" , ,", 0, "contains no address"),
        arguments("Lima, Ana <a@x.example>", 4, "missing '@'"),
        arguments("a@x.example, bad", 16, "missing '@'"),
        arguments("a@x.example b@y.example", 12, "expected ',' between addresses"),
        arguments("Group: a@x.example", 18, "not closed with ';'"),
        arguments("Group: a@x.example b@y.example;", 19, "expected ',' or ';'"),
        arguments("A: B: c@d.example;;", 4, "groups cannot be nested"),
        arguments(": a@x.example;", 0, "a group needs a name"),
        arguments("a@x.example,\r\nBcc: evil@y.example", 12, "CR (U+000D)"),
        arguments("a@x.example, b@y..example", 17, "domain contains '..'"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidLists")
  void parseListRejectsInvalidListWithIndex(String input, int index, String fragment) {
    assertFormatError(() -> Mailbox.parseList(input), index, fragment);
  }

  // ------------------------------------------------------------------ IDN and SMTPUTF8

  @Test
  void unicodeDomainKeepsUnicodeFormAndOffersALabels() {
    Mailbox m = Mailbox.parse("user@bücher.example");

    assertThat(m.domain()).isEqualTo("bücher.example");
    assertThat(m.asciiDomain()).isEqualTo("xn--bcher-kva.example");
    assertThat(m.asciiAddress()).isEqualTo("user@xn--bcher-kva.example");
  }

  @Test
  void chineseDomainConvertsEveryLabel() {
    assertThat(Mailbox.parse("用户@例子.广告").asciiDomain()).isEqualTo("xn--fsqu00a.xn--4rr70v");
  }

  @Test
  void greekDomainConvertsEveryLabel() {
    assertThat(Mailbox.parse("a@παράδειγμα.δοκιμή").asciiDomain())
        .isEqualTo("xn--hxajbheg2az3al.xn--jxalpdlp");
  }

  @Test
  void labelOutsideIdna2003IsRejectedWithReason() {
    assertFormatError(
        () -> Mailbox.parse("a@\ud83d\ude00.example"), 2, "not a valid IDNA2003 label");
    assertFormatError(() -> Mailbox.parse("a@\ud83d\ude00.example"), 2, "unassigned code point");
  }

  @Test
  void aLabelInputIsKeptAsGiven() {
    Mailbox m = Mailbox.parse("user@xn--bcher-kva.example");

    assertThat(m.domain()).isEqualTo("xn--bcher-kva.example");
    assertThat(m.asciiDomain()).isEqualTo("xn--bcher-kva.example");
  }

  @Test
  void unicodeAndALabelFormsAreTheSameAddress() {
    Mailbox unicode = Mailbox.parse("user@bücher.example");
    Mailbox ascii = Mailbox.parse("user@XN--BCHER-KVA.example");

    assertThat(unicode.sameAddress(ascii)).isTrue();
    assertThat(unicode).isEqualTo(ascii).hasSameHashCodeAs(ascii);
  }

  @Test
  void addressLiteralIsItsOwnAsciiForm() {
    assertThat(Mailbox.parse("a@[IPv6:2001:db8::1]").asciiAddress())
        .isEqualTo("a@[IPv6:2001:db8::1]");
  }

  @Test
  void utf8LocalPartNeedsSmtpUtf8() {
    assertThat(Mailbox.parse("josé@example.com").needsSmtpUtf8()).isTrue();
    assertThat(Mailbox.parse("用户@例子.广告").needsSmtpUtf8()).isTrue();
  }

  @Test
  void asciiLocalPartWithIdnDomainDoesNotNeedSmtpUtf8() {
    assertThat(Mailbox.parse("user@bücher.example").needsSmtpUtf8()).isFalse();
    assertThat(Mailbox.parse("José <jose@example.com>").needsSmtpUtf8()).isFalse();
  }

  // ------------------------------------------------------------------ equality

  @Test
  void sameAddressIgnoresDisplayNameAndDomainCase() {
    Mailbox a = Mailbox.parse("Ana <ana@SHOP.example>");
    Mailbox b = Mailbox.parse("ana@shop.example");

    assertThat(a.sameAddress(b)).isTrue();
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void equalMailboxesHaveEqualHashCodes() {
    Mailbox a = Mailbox.parse("Ana <ana@SHOP.example>");
    Mailbox b = Mailbox.parse("\"Ana\" <\"ana\"@shop.example>");

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
  }

  @Test
  void localPartIsCaseSensitive() {
    assertThat(Mailbox.parse("Ana@shop.example").sameAddress(Mailbox.parse("ana@shop.example")))
        .isFalse();
  }

  @Test
  void differentDisplayNamesAreNotEqual() {
    assertThat(Mailbox.parse("Ana <a@x.example>")).isNotEqualTo(Mailbox.parse("Bob <a@x.example>"));
  }

  // ------------------------------------------------------------------ of(...) and formatting

  @Test
  void ofBuildsMailboxFromParts() {
    Mailbox m = Mailbox.of("Ana Lima", "ana", "shop.example");

    assertThat(m.toString()).isEqualTo("Ana Lima <ana@shop.example>");
    assertThat(m.address()).isEqualTo("ana@shop.example");
  }

  @Test
  void ofTreatsEmptyDisplayNameAsNone() {
    assertThat(Mailbox.of("", "ana", "shop.example").displayName()).isEmpty();
  }

  @Test
  void withDisplayNameReplacesAndRemovesName() {
    Mailbox m = Mailbox.of("Ana", "ana", "shop.example");

    assertThat(m.withDisplayName("Bob").displayName()).hasValue("Bob");
    assertThat(m.withDisplayName(null).toString()).isEqualTo("ana@shop.example");
  }

  static Stream<Arguments> invalidParts() {
    return Stream.of(
        arguments(null, "", "x.example", 0, "local part is empty"),
        arguments(null, "a\r\nb", "x.example", 1, "CR (U+000D)"),
        arguments(null, "a\tb", "x.example", 1, "control character"),
        arguments(null, "a".repeat(65), "x.example", 0, "65 octets"),
        arguments(null, "a b" + "c".repeat(60), "x.example", 0, "65 octets"),
        arguments(null, "a", "", 0, "domain is empty"),
        arguments(null, "a", "exa mple.com", 3, "' ' (U+0020)"),
        arguments(null, "a", "example.com.", 11, "ends with '.'"),
        arguments(null, "a", "-x.example", 0, "starts with '-'"),
        arguments(null, "a", "x.example\r\n", 9, "CR (U+000D)"),
        arguments(null, "a", "[192.0.2.1", 0, "not closed"),
        arguments(null, "a", "[192.0.2.1]x", 11, "text after the address literal"),
        arguments(null, "a", "[IPv6:zz::1]", 6, "not a valid IPv6"),
        arguments(null, "a", "1.2.3.4", 6, "all-numeric"),
        arguments("Ana\nBcc: x@y.example", "a", "x.example", 3, "LF (U+000A)"),
        arguments("Ana\u0000", "a", "x.example", 3, "NUL (U+0000)"));
  }

  @ParameterizedTest(name = "[{index}] {0} {1} {2}")
  @MethodSource("invalidParts")
  void ofRejectsInvalidPartWithIndex(
      String name, String localPart, String domain, int index, String fragment) {
    assertFormatError(() -> Mailbox.of(name, localPart, domain), index, fragment);
  }

  @Test
  void ofRejectsNullParts() {
    assertThatThrownBy(() -> Mailbox.of(null, "x.example"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("localPart");
    assertThatThrownBy(() -> Mailbox.of("a", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("domain");
  }

  static Stream<Arguments> localPartsNeedingQuotes() {
    return Stream.of(
        arguments("john doe", "\"john doe\""),
        arguments("john..doe", "\"john..doe\""),
        arguments(".john", "\".john\""),
        arguments("john.", "\"john.\""),
        arguments("a\"b", "\"a\\\"b\""),
        arguments("a\\b", "\"a\\\\b\""),
        arguments("Abc@def", "\"Abc@def\""),
        arguments("a,b", "\"a,b\""),
        arguments("josé doe", "\"josé doe\""));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("localPartsNeedingQuotes")
  void addressQuotesLocalPartThatIsNoDotAtom(String localPart, String quoted) {
    Mailbox m = Mailbox.of(localPart, "x.example");

    assertThat(m.address()).isEqualTo(quoted + "@x.example");
    assertThat(Mailbox.parse(m.address())).isEqualTo(m);
  }

  @ParameterizedTest
  @ValueSource(strings = {"john.doe", "a+b", "o'reilly", "josé", "用户", "#!$%&'*+-/=?^_`{}|~"})
  void addressKeepsDotAtomLocalPartUnquoted(String localPart) {
    assertThat(Mailbox.of(localPart, "x.example").address()).isEqualTo(localPart + "@x.example");
  }

  static Stream<Arguments> displayNames() {
    return Stream.of(
        arguments("Ana Lima", "Ana Lima"),
        arguments("José Lima", "José Lima"),
        arguments("Lima, Ana", "\"Lima, Ana\""),
        arguments("John Q. Public", "\"John Q. Public\""),
        arguments("Ana  Lima", "\"Ana  Lima\""),
        arguments(" Ana", "\" Ana\""),
        arguments("Ana\tLima", "\"Ana\tLima\""),
        arguments("say \"hi\"", "\"say \\\"hi\\\"\""),
        arguments("back\\slash", "\"back\\\\slash\""),
        arguments("a <b>", "\"a <b>\""),
        arguments("(not a comment)", "\"(not a comment)\""),
        arguments("=?UTF-8?Q?x?=", "\"\\=?UTF-8?Q?x?=\""),
        arguments("a=?b", "\"a\\=?b\""));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("displayNames")
  void toStringQuotesDisplayNameOnlyWhenNeeded(String name, String formatted) {
    Mailbox m = Mailbox.of(name, "a", "x.example");

    assertThat(m.toString()).isEqualTo(formatted + " <a@x.example>");
    assertThat(Mailbox.parse(m.toString())).isEqualTo(m);
  }

  // ------------------------------------------------------------------ property: no other failure

  private static final String[] NAME_WORDS = {
    "Ana", "José", "Q.", "=?UTF-8?Q?Jos=C3=A9?=", "=?ISO-8859-1?B?Sm9z6Q==?=", "\"Lima, Ana\"",
    "\"a \\\" b\"", "(comment)", "\"=?UTF-8?Q?x?=\"", "=?bad?Q?x?=", "用户", "\"\""
  };
  private static final String[] LOCAL_PARTS = {
    "a",
    "john.doe",
    "o'reilly",
    "!#$%&'*+-/=?^_`{}|~",
    "josé",
    "用户",
    "\"john doe\"",
    "\"a\\\"b\"",
    "\"john..doe\"",
    "\"Abc@def\"",
    "x+tag"
  };
  private static final String[] LABELS = {
    "example", "bücher", "xn--bcher-kva", "a-b", "123", "例子", "com", "EXAMPLE", "x1"
  };
  private static final String[] LITERALS = {
    "[192.0.2.1]", "[IPv6:2001:db8::1]", "[IPv6:::ffff:1.2.3.4]"
  };
  private static final String[] NOISE = {
    ".",
    "..",
    "@",
    "\"",
    "\\",
    "(",
    ")",
    "<",
    ">",
    "[",
    "]",
    ",",
    ";",
    ":",
    " ",
    "\t",
    "\r\n ",
    "\r",
    "\n",
    "\u0000",
    "-",
    "=?",
    "?=",
    "é",
    "\ud83d\ude00",
    "_",
    "xn--"
  };

  /**
   * Random addresses built from the grammar's parts, half of them then damaged by inserting,
   * replacing or deleting text; a fixed seed keeps the test repeatable.
   */
  private static List<String> randomTexts() {
    Random random = new Random(5322);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      StringBuilder b = new StringBuilder();
      boolean named = random.nextBoolean();
      if (named) {
        int words = random.nextInt(4);
        for (int w = 0; w < words; w++) {
          b.append(pick(random, NAME_WORDS)).append(' ');
        }
        b.append('<');
      }
      b.append(pick(random, LOCAL_PARTS)).append('@');
      if (random.nextInt(8) == 0) {
        b.append(pick(random, LITERALS));
      } else {
        int labels = 1 + random.nextInt(3);
        for (int l = 0; l < labels; l++) {
          b.append(l > 0 ? "." : "").append(pick(random, LABELS));
        }
      }
      if (named) {
        b.append('>');
      }
      if (random.nextBoolean()) {
        int at = random.nextInt(b.length() + 1);
        switch (random.nextInt(3)) {
          case 0 -> b.insert(at, pick(random, NOISE));
          case 1 -> b.replace(at, Math.min(b.length(), at + 1), pick(random, NOISE));
          default -> b.delete(at, Math.min(b.length(), at + 1 + random.nextInt(3)));
        }
      }
      texts.add(b.toString());
    }
    return texts;
  }

  private static String pick(Random random, String[] options) {
    return options[random.nextInt(options.length)];
  }

  @Test
  void parseEitherFailsWithIndexOrRoundTrips() {
    List<String> problems = new ArrayList<>();
    int parsed = 0;
    for (String text : randomTexts()) {
      Mailbox m;
      try {
        m = Mailbox.parse(text);
      } catch (MailFormatException e) {
        int index = e.index().orElse(-1);
        if (index < 0 || index > text.length()) {
          problems.add(text + " -> index " + index);
        }
        continue;
      }
      parsed++;
      if (!Mailbox.parse(m.toString()).equals(m)
          || !Mailbox.parse(m.asciiAddress()).sameAddress(m)) {
        problems.add(text + " -> " + m + " does not parse back");
      }
    }
    assertThat(problems).isEmpty();
    assertThat(parsed).isGreaterThan(600);
  }

  @Test
  void parseListEitherFailsWithIndexOrRoundTrips() {
    List<String> problems = new ArrayList<>();
    int parsed = 0;
    for (String text : randomTexts()) {
      List<Mailbox> list;
      try {
        list = Mailbox.parseList(text);
      } catch (MailFormatException e) {
        if (e.index().isEmpty()) {
          problems.add(text + " -> no index");
        }
        continue;
      }
      if (list.isEmpty()) {
        continue; // an empty group; there is nothing to format
      }
      parsed++;
      String joined = String.join(", ", list.stream().map(Mailbox::toString).toList());
      if (!Mailbox.parseList(joined).equals(list)) {
        problems.add(text + " -> " + joined + " does not parse back");
      }
    }
    assertThat(problems).isEmpty();
    assertThat(parsed).isGreaterThan(600);
  }
}
