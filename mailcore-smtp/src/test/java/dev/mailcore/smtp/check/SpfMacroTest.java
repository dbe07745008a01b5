package dev.mailcore.smtp.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The macro examples of RFC 7208 §7.4. */
class SpfMacroTest {
  private static SpfMacro.Context ctx(String ip) {
    try {
      return new SpfMacro.Context("strong-bad@email.example.com", "email.example.com", InetAddress.getByName(ip), "mx.example.org");
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "%{s}|strong-bad@email.example.com",
        "%{o}|email.example.com",
        "%{d}|email.example.com",
        "%{d4}|email.example.com",
        "%{d3}|email.example.com",
        "%{d2}|example.com",
        "%{d1}|com",
        "%{dr}|com.example.email",
        "%{d2r}|example.email",
        "%{l}|strong-bad",
        "%{l-}|strong.bad",
        "%{lr}|strong-bad",
        "%{lr-}|bad.strong",
        "%{l1r-}|strong",
        "%{ir}.%{v}._spf.%{d2}|3.2.0.192.in-addr._spf.example.com",
        "%{lr-}.lp._spf.%{d2}|bad.strong.lp._spf.example.com",
        "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}|bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
        "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}|3.2.0.192.in-addr.strong.lp._spf.example.com",
        "%{d2}.trusted-domains.example.net|example.com.trusted-domains.example.net",
        "%{h}.%%.%_.%-|mx.example.org.%. .%20"
      })
  void expandsTheRfcExamples(String spec, String expected) throws SpfException {
    assertThat(SpfMacro.expand(spec, ctx("192.0.2.3"))).isEqualTo(expected);
  }

  @Test
  void ipv6IsExpandedAsNibbles() throws SpfException {
    assertThat(SpfMacro.expand("%{ir}.%{v}._spf.%{d2}", ctx("2001:db8::cb01")))
        .isEqualTo("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
  }

  @Test
  void upperCaseLetterIsUrlEncoded() throws SpfException {
    SpfMacro.Context c = new SpfMacro.Context("a b@x.example", "x.example", ctx("192.0.2.3").ip(), "h");

    assertThat(SpfMacro.expand("%{L}", c)).isEqualTo("a%20b");
  }

  @Test
  void badMacrosArePermerrors() {
    for (String bad : new String[] {"%{x}", "%{d0}", "%{d", "%a", "%{c}", "%{d2*}"}) {
      assertThatThrownBy(() -> SpfMacro.expand(bad, ctx("192.0.2.3")))
          .as(bad)
          .isInstanceOfSatisfying(SpfException.class, e -> assertThat(e.result()).isEqualTo(SpfResult.PERMERROR));
    }
  }

  @Test
  void longExpansionIsShortenedFromTheLeft() throws SpfException {
    String longLabel = "a".repeat(60);
    String spec = (longLabel + ".").repeat(5) + "example.com";

    String out = SpfMacro.expand(spec, ctx("192.0.2.3"));

    assertThat(out.length()).isLessThanOrEqualTo(253);
    assertThat(out).endsWith(".example.com");
  }
}
