package dev.mailcore.smtp.mx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

@Timeout(30)
class TestDnsServerTest {
  private TestDnsServer dns;

  @BeforeEach
  void start() {
    dns =
        TestDnsServer.builder()
            .zone(
                "example.org",
                """
                @      300 IN MX 10 mx1
                mx1    300 IN A  127.0.0.2
                mx1    300 IN AAAA ::1
                alias  300 IN CNAME mx1
                text   300 IN TXT "hello"
                """)
            .start();
  }

  @AfterEach
  void stop() {
    dns.close();
  }

  private Message ask(String name, int type, boolean tcp) throws IOException {
    SimpleResolver r = new SimpleResolver(dns.address());
    r.setTCP(tcp);
    r.setTimeout(Duration.ofMillis(500));
    return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
  }

  @Test
  void answersAuthoritativelyOverUdp() throws IOException {
    Message m = ask("example.org.", Type.MX, false);

    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(m.getSection(Section.ANSWER)).singleElement().hasToString("example.org.\t\t300\tIN\tMX\t10 mx1.example.org.");
  }

  @Test
  void answersOverTcpOnTheSamePort() throws IOException {
    Message m = ask("mx1.example.org.", Type.AAAA, true);

    assertThat(m.getSection(Section.ANSWER)).singleElement().extracting(r -> ((org.xbill.DNS.AAAARecord) r).getAddress()).isEqualTo(java.net.InetAddress.getByName("::1"));
    assertThat(dns.queries()).singleElement().extracting(TestDnsServer.Query::tcp).isEqualTo(true);
  }

  @Test
  void answersNxdomainWithSoaForUnknownNames() throws IOException {
    Message m = ask("nobody.example.org.", Type.A, false);

    assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(m.getSection(Section.AUTHORITY)).singleElement().extracting(Record::getType).isEqualTo(Type.SOA);
  }

  @Test
  void answersNodataForAnExistingNameWithoutTheType() throws IOException {
    Message m = ask("text.example.org.", Type.A, false);

    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(m.getSection(Section.ANSWER)).isEmpty();
    assertThat(m.getSection(Section.AUTHORITY)).extracting(Record::getType).containsExactly(Type.SOA);
  }

  @Test
  void chasesCnamesIntoTheAnswer() throws IOException {
    Message m = ask("alias.example.org.", Type.A, false);

    assertThat(m.getSection(Section.ANSWER)).extracting(Record::getType).containsExactly(Type.CNAME, Type.A);
  }

  @Test
  void refusesNamesOutsideItsZones() throws IOException {
    assertThat(ask("example.net.", Type.MX, false).getRcode()).isEqualTo(Rcode.REFUSED);
  }

  @Test
  void injectsServfailPerName() throws IOException {
    dns.fault("example.org", DnsFault.SERVFAIL);

    assertThat(ask("example.org.", Type.MX, false).getRcode()).isEqualTo(Rcode.SERVFAIL);
    assertThat(ask("mx1.example.org.", Type.A, false).getRcode()).isEqualTo(Rcode.NOERROR);
  }

  @Test
  void dropsQueriesSoTheClientTimesOut() {
    dns.fault("example.org", DnsFault.DROP);

    assertThatThrownBy(() -> ask("example.org.", Type.MX, false)).isInstanceOf(IOException.class);
    assertThat(dns.queryCount("example.org", "MX")).isEqualTo(1);
  }

  @Test
  void truncatesUdpSoTheClientRetriesOverTcp() throws IOException {
    dns.fault("example.org", DnsFault.TRUNCATE_UDP);

    Message m = ask("example.org.", Type.MX, false);

    assertThat(m.getSection(Section.ANSWER)).hasSize(1);
    assertThat(dns.queries()).extracting(TestDnsServer.Query::tcp).containsExactly(false, true);
  }

  @Test
  void countsQueriesPerNameAndType() throws IOException {
    ask("example.org.", Type.MX, false);
    ask("EXAMPLE.org.", Type.MX, false);
    ask("example.org.", Type.A, false);

    assertThat(dns.queryCount("example.org", "MX")).isEqualTo(2);
    assertThat(dns.queryCount("example.org.", "a")).isEqualTo(1);
    assertThat(dns.queryCount("mx1.example.org", "A")).isZero();
  }

  @Test
  void replacesAZoneWhileRunning() throws IOException {
    dns.zone("example.org", "@ 60 IN MX 5 other.example.net.\n");

    assertThat(ask("example.org.", Type.MX, false).getSection(Section.ANSWER))
        .singleElement()
        .extracting(Record::rdataToString)
        .isEqualTo("5 other.example.net.");
  }

  @Test
  void servesSeveralZonesPreferringTheLongestOrigin() throws IOException {
    dns.zone("sub.example.org", "@ 60 IN A 127.0.0.9\n");

    assertThat(ask("sub.example.org.", Type.A, false).getSection(Section.ANSWER))
        .singleElement()
        .extracting(Record::rdataToString)
        .isEqualTo("127.0.0.9");
  }

  @Test
  void rejectsZoneTextThatDoesNotParse() {
    assertThatThrownBy(() -> dns.zone("example.net", "@ IN MX notanumber\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("example.net");
  }
}
