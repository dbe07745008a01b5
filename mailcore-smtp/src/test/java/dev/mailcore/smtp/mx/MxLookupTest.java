package dev.mailcore.smtp.mx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class MxLookupTest {

  @Test
  void treatsNullMxNoSuchDomainAndNoMailHostAsPermanent() {
    assertThat(new MxLookup.NullMx("example.org").isPermanentFailure()).isTrue();
    assertThat(new MxLookup.NoSuchDomain("example.org").isPermanentFailure()).isTrue();
    assertThat(new MxLookup.NoMailHost("example.org", "mx.example.org (no such host)")
            .isPermanentFailure())
        .isTrue();
  }

  @Test
  void treatsTemporaryFailuresAndHostsAsNotPermanent() {
    MxHost mx = new MxHost("mx.example.org", 0, List.of(InetAddress.getLoopbackAddress()));

    assertThat(new MxLookup.TemporaryFailure("SERVFAIL").isPermanentFailure()).isFalse();
    assertThat(new MxLookup.Hosts(List.of(mx), true).isPermanentFailure()).isFalse();
  }

  @Test
  void rejectsAnAnswerWithoutHosts() {
    assertThatThrownBy(() -> new MxLookup.Hosts(List.of(), false))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
