package dev.mailcore.smtp.mx;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SetResponse;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.Zone;

/**
 * A small authoritative DNS server for tests: it answers real DNS packets, over UDP and TCP on
 * the same loopback port, from zones given as master-file text (RFC 1035 §5).
 *
 * <p>It answers NXDOMAIN for names a zone does not hold, NOERROR with an empty answer (NODATA)
 * for names that exist without the asked type, chases CNAMEs inside its zones into the answer
 * section, refuses names outside its zones, and injects a {@link DnsFault} per name. It counts the
 * queries it receives per name and type, so tests can check caching and which queries a resolver
 * sent.
 *
 * <pre>{@code
 * try (TestDnsServer dns = TestDnsServer.builder()
 *     .zone("example.org", """
 *         @    3600 IN MX 10 mx1
 *         mx1  3600 IN A  127.0.0.2
 *         """)
 *     .start()) {
 *   InetSocketAddress server = dns.address(); // point the resolver here
 * }
 * }</pre>
 *
 * <p>Thread-safe: zones, faults and counters may be changed and read while queries are served.
 * The API uses JDK types only, so it serves any test framework.
 *
 * @since 0.1
 */
public final class TestDnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TestDnsServer.class);
  private static final int MAX_CNAME_HOPS = 8;
  private static final int UDP_DEFAULT_SIZE = 512;
  private static final int BIND_ATTEMPTS = 20;

  private final Map<Name, Zone> zones = new ConcurrentHashMap<>();
  private final Map<Name, DnsFault> faults = new ConcurrentHashMap<>();
  private final List<Query> queries = new CopyOnWriteArrayList<>();
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final ExecutorService threads;
  private volatile boolean closed;

  /** One query as the server received it. */
  public record Query(String name, String type, boolean tcp) {
    /** Validates. */
    public Query {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
    }
  }

  private TestDnsServer(Builder b) throws IOException {
    for (Map.Entry<String, String> z : b.zones.entrySet()) {
      zone(z.getKey(), z.getValue());
    }
    for (Map.Entry<String, DnsFault> f : b.faults.entrySet()) {
      fault(f.getKey(), f.getValue());
    }
    DatagramSocket boundUdp = null;
    ServerSocket boundTcp = null;
    for (int attempt = 0; boundTcp == null; attempt++) {
      boundUdp = new DatagramSocket(new InetSocketAddress(b.address, b.port));
      try {
        boundTcp = new ServerSocket();
        boundTcp.bind(new InetSocketAddress(b.address, boundUdp.getLocalPort()), 50);
      } catch (BindException e) {
        boundTcp = null;
        boundUdp.close();
        // the ephemeral UDP port is taken on TCP: try another one, unless a fixed port was asked for
        if (b.port != 0 || attempt >= BIND_ATTEMPTS) {
          throw e;
        }
      }
    }
    this.udp = boundUdp;
    this.tcp = boundTcp;
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "test-dns-" + udp.getLocalPort());
              t.setDaemon(true);
              return t;
            });
    threads.execute(this::serveUdp);
    threads.execute(this::acceptTcp);
    log.info("test DNS server on {} (UDP and TCP)", address());
  }

  /** Returns a builder: loopback address, ephemeral port, no zones. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the address and port the server answers on, for UDP and TCP alike. */
  public InetSocketAddress address() {
    return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
  }

  /** Returns the port the server answers on. */
  public int port() {
    return udp.getLocalPort();
  }

  /**
   * Adds a zone, or replaces the zone with the same origin. Records without a name belong to the
   * origin; relative names are relative to it; a record without a TTL gets 3600 seconds. A zone
   * without SOA or NS record at its origin gets one made up ({@code ns.<origin>}, negative TTL
   * 300 seconds).
   *
   * @param origin the zone's apex, such as {@code example.org}
   * @param masterText the records in master-file syntax
   * @throws IllegalArgumentException when the text does not parse
   */
  public void zone(String origin, String masterText) {
    Objects.requireNonNull(masterText, "masterText");
    Name apex = name(origin);
    List<Record> records = new ArrayList<>();
    try (Master master =
        new Master(
            new ByteArrayInputStream(masterText.getBytes(StandardCharsets.UTF_8)), apex, 3600)) {
      master.disableIncludes();
      for (Record r = master.nextRecord(); r != null; r = master.nextRecord()) {
        records.add(r);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("zone " + apex + " does not parse: " + e.getMessage(), e);
    }
    Name ns = nameIn("ns", apex);
    if (records.stream().noneMatch(r -> r.getType() == Type.SOA && r.getName().equals(apex))) {
      records.add(
          0,
          new SOARecord(
              apex, DClass.IN, 300, ns, nameIn("hostmaster", apex), 1, 3600, 600, 86400, 300));
    } else {
      // the SOA must come first for Zone
      records.sort((x, y) -> Boolean.compare(y.getType() == Type.SOA, x.getType() == Type.SOA));
    }
    if (records.stream().noneMatch(r -> r.getType() == Type.NS && r.getName().equals(apex))) {
      records.add(1, new NSRecord(apex, DClass.IN, 3600, ns));
    }
    try {
      zones.put(apex, new Zone(apex, records.toArray(new Record[0])));
    } catch (IOException e) {
      throw new IllegalArgumentException("zone " + apex + " is not valid: " + e.getMessage(), e);
    }
  }

  /** Removes the zone with this origin; its names are then refused. */
  public void removeZone(String origin) {
    zones.remove(name(origin));
  }

  /** Makes queries for {@code name} (any type) fail with {@code fault} until cleared. */
  public void fault(String name, DnsFault fault) {
    faults.put(name(name), Objects.requireNonNull(fault, "fault"));
  }

  /** Answers {@code name} from the zones again. */
  public void clearFault(String name) {
    faults.remove(name(name));
  }

  /**
   * Returns how many queries for {@code name} and {@code type} arrived, over UDP and TCP.
   *
   * @param name a domain name, with or without the final dot, any case
   * @param type a type mnemonic such as {@code MX} or {@code AAAA}
   */
  public int queryCount(String name, String type) {
    String n = name(name).toString();
    String t = type.toUpperCase(Locale.ROOT);
    return (int) queries.stream().filter(q -> q.name().equals(n) && q.type().equals(t)).count();
  }

  /** Returns every query received so far, in order; names are lower case with a final dot. */
  public List<Query> queries() {
    return List.copyOf(queries);
  }

  /** Forgets the queries received so far. */
  public void resetQueries() {
    queries.clear();
  }

  /** Stops answering and releases the port. Idempotent. */
  @Override
  public void close() {
    closed = true;
    udp.close();
    try {
      tcp.close();
    } catch (IOException e) {
      log.debug("closing the TCP listener failed", e);
    }
    threads.shutdownNow();
  }

  private void serveUdp() {
    byte[] buffer = new byte[65535];
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        udp.receive(packet);
        byte[] data = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
        Optional<byte[]> reply = answerWire(data, false);
        if (reply.isPresent()) {
          udp.send(new DatagramPacket(reply.get(), reply.get().length, packet.getSocketAddress()));
        }
      } catch (SocketException e) {
        if (!closed) {
          log.warn("UDP socket failed", e);
        }
        return;
      } catch (IOException e) {
        log.warn("UDP query failed", e);
      }
    }
  }

  private void acceptTcp() {
    while (!closed) {
      try {
        Socket s = tcp.accept();
        threads.execute(() -> serveTcp(s));
      } catch (IOException e) {
        if (!closed) {
          log.warn("TCP accept failed", e);
        }
        return;
      }
    }
  }

  private void serveTcp(Socket socket) {
    try (socket) {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      while (!closed) {
        int length;
        try {
          length = in.readUnsignedShort();
        } catch (EOFException e) {
          return; // the client is done with this connection
        }
        byte[] data = new byte[length];
        in.readFully(data);
        Optional<byte[]> reply = answerWire(data, true);
        if (reply.isPresent()) {
          out.writeShort(reply.get().length);
          out.write(reply.get());
          out.flush();
        }
      }
    } catch (IOException e) {
      if (!closed) {
        log.debug("TCP connection ended: {}", e.toString());
      }
    }
  }

  private Optional<byte[]> answerWire(byte[] data, boolean overTcp) {
    Message query;
    try {
      query = new Message(data);
    } catch (IOException e) {
      log.warn("ignoring a packet that is not a DNS message: {}", e.toString());
      return Optional.empty();
    }
    Record question = query.getQuestion();
    Message response = new Message(query.getHeader().getID());
    response.getHeader().setFlag(Flags.QR);
    if (query.getHeader().getFlag(Flags.RD)) {
      response.getHeader().setFlag(Flags.RD);
    }
    if (question == null) {
      response.getHeader().setRcode(Rcode.FORMERR);
      return Optional.of(response.toWire());
    }
    response.addRecord(question, Section.QUESTION);
    Name qname = lower(question.getName());
    queries.add(new Query(qname.toString(), Type.string(question.getType()), overTcp));
    DnsFault fault = faults.get(qname);
    if (fault == DnsFault.DROP) {
      return Optional.empty();
    }
    if (fault == DnsFault.SERVFAIL || fault == DnsFault.REFUSED) {
      response.getHeader().setRcode(fault == DnsFault.SERVFAIL ? Rcode.SERVFAIL : Rcode.REFUSED);
      return Optional.of(response.toWire());
    }
    if (fault == DnsFault.TRUNCATE_UDP && !overTcp) {
      response.getHeader().setFlag(Flags.TC);
      return Optional.of(response.toWire());
    }
    answer(qname, question.getType(), response);
    if (overTcp) {
      return Optional.of(response.toWire());
    }
    OPTRecord opt = query.getOPT();
    int max = opt == null ? UDP_DEFAULT_SIZE : Math.max(UDP_DEFAULT_SIZE, opt.getPayloadSize());
    return Optional.of(response.toWire(max));
  }

  /** Fills in an authoritative answer, following CNAMEs within the zones (RFC 1034 §4.3.2). */
  private void answer(Name qname, int type, Message response) {
    Optional<Zone> zone = zoneOf(qname);
    if (zone.isEmpty()) {
      response.getHeader().setRcode(Rcode.REFUSED);
      return;
    }
    response.getHeader().setFlag(Flags.AA);
    Name current = qname;
    for (int hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      SetResponse found = zone.get().findRecords(current, type);
      if (found.isSuccessful()) {
        for (RRset set : found.answers()) {
          set.rrs().forEach(r -> response.addRecord(r, Section.ANSWER));
        }
        return;
      }
      if (found.isCNAME()) {
        CNAMERecord cname = found.getCNAME();
        response.addRecord(cname, Section.ANSWER);
        current = lower(cname.getTarget());
        zone = zoneOf(current);
        if (zone.isEmpty()) {
          return; // the target is outside our authority: the client follows it itself
        }
        continue;
      }
      if (found.isNXDOMAIN()) {
        response.getHeader().setRcode(Rcode.NXDOMAIN);
      }
      if (found.isDelegation()) {
        response.getHeader().unsetFlag(Flags.AA);
        found.getNS().rrs().forEach(r -> response.addRecord(r, Section.AUTHORITY));
        return;
      }
      // NXDOMAIN or NODATA: the SOA lets the client cache the negative answer (RFC 2308)
      response.addRecord(zone.get().getSOA(), Section.AUTHORITY);
      return;
    }
    response.getHeader().setRcode(Rcode.SERVFAIL); // a CNAME loop
  }

  private Optional<Zone> zoneOf(Name name) {
    Zone best = null;
    for (Zone z : zones.values()) {
      if (name.subdomain(z.getOrigin())
          && (best == null || z.getOrigin().labels() > best.getOrigin().labels())) {
        best = z;
      }
    }
    return Optional.ofNullable(best);
  }

  private static Name name(String text) {
    Objects.requireNonNull(text, "name");
    try {
      return lower(Name.fromString(text.endsWith(".") ? text : text + ".", Name.root));
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a domain name: " + text, e);
    }
  }

  private static Name nameIn(String label, Name origin) {
    try {
      return Name.concatenate(Name.fromString(label), origin);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static Name lower(Name name) {
    try {
      return Name.fromString(name.toString().toLowerCase(Locale.ROOT), Name.root);
    } catch (TextParseException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Configures a {@link TestDnsServer}.
   *
   * <p>Not thread-safe; build on one thread.
   */
  public static final class Builder {
    private InetAddress address = InetAddress.getLoopbackAddress();
    private int port;
    private final Map<String, String> zones = new java.util.LinkedHashMap<>();
    private final Map<String, DnsFault> faults = new java.util.LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets the address to listen on; the loopback address by default.
     *
     * @throws IllegalArgumentException when it is not a loopback address: this server is for
     *     tests only
     */
    public Builder address(InetAddress address) {
      if (!Objects.requireNonNull(address, "address").isLoopbackAddress()) {
        throw new IllegalArgumentException("a test DNS server listens on loopback only: " + address);
      }
      this.address = address;
      return this;
    }

    /**
     * Sets the port for UDP and TCP; 0 (the default) picks a free ephemeral port.
     *
     * @throws IllegalArgumentException when out of 0..65535
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
      return this;
    }

    /** Adds a zone; see {@link TestDnsServer#zone(String, String)}. */
    public Builder zone(String origin, String masterText) {
      zones.put(Objects.requireNonNull(origin, "origin"), Objects.requireNonNull(masterText, "masterText"));
      return this;
    }

    /** Injects a fault for a name from the start; see {@link TestDnsServer#fault}. */
    public Builder fault(String name, DnsFault fault) {
      faults.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(fault, "fault"));
      return this;
    }

    /**
     * Binds the sockets and starts answering.
     *
     * @throws IllegalArgumentException when a zone does not parse
     * @throws UncheckedIOException when the port cannot be bound
     */
    public TestDnsServer start() {
      try {
        return new TestDnsServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the test DNS server", e);
      }
    }
  }

  @Override
  public String toString() {
    return "TestDnsServer[" + address() + ", zones=" + Collections.unmodifiableSet(zones.keySet()) + "]";
  }
}
