package dev.mailcore.smtp.mx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MxHostTest {

  @Test
  void copiesItsAddresses() throws Exception {
    List<InetAddress> addresses = new ArrayList<>(List.of(InetAddress.getByName("127.0.0.2")));
    MxHost host = new MxHost("mx.example.org", 10, addresses);

    addresses.clear();

    assertThat(host.addresses()).hasSize(1);
  }

  @Test
  void rejectsAPreferenceOutOfRange() {
    assertThatThrownBy(() -> new MxHost("mx", 65536, List.of(InetAddress.getLoopbackAddress())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("65536");
  }

  @Test
  void rejectsAHostWithoutAddress() {
    assertThatThrownBy(() -> new MxHost("mx.example.org", 10, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mx.example.org");
  }

  @Test
  void rejectsABlankName() {
    assertThatThrownBy(() -> new MxHost(" ", 10, List.of(InetAddress.getLoopbackAddress())))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
