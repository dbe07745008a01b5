package dev.mailcore.examples;

import dev.mailcore.Content;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.smtp.check.BlocklistChecker;
import dev.mailcore.smtp.check.Preflight;
import dev.mailcore.smtp.check.PreflightReport;
import dev.mailcore.smtp.dkim.BulkHeaders;
import dev.mailcore.smtp.dkim.DkimKeys;
import dev.mailcore.smtp.dkim.DkimSigner;
import dev.mailcore.smtp.dkim.MessageSigner;
import dev.mailcore.smtp.mx.TestDnsServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;

/**
 * Deliverability: signs a newsletter with DKIM (rsa-sha256 and ed25519-sha256) after adding the
 * one-click unsubscribe headers, then runs the preflight check of the sending domain and a
 * blocklist look-up, all against a DNS server it starts on loopback with the records a sender
 * publishes.
 */
public final class Deliverability {
  private Deliverability() {}

  /** Runs the example. */
  public static void main(String[] args) throws Exception {
    run();
  }

  /** Signs, checks and prints; the Demo calls this too. */
  public static void run() throws Exception {
    KeyPair rsa = DkimKeys.generate("rsa");
    KeyPair ed = DkimKeys.generate("ed25519");
    InetAddress sendingAddress = InetAddress.getByName("192.0.2.10");
    try (TestDnsServer dns =
        TestDnsServer.builder()
            .zone(
                "shop.example",
                String.join(
                    "\n",
                    "@ TXT \"v=spf1 ip4:192.0.2.10 -all\"",
                    "_dmarc TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.example\"",
                    "rsa1._domainkey " + txt(rsa.getPublic()),
                    "ed1._domainkey " + txt(ed.getPublic()),
                    ""))
            // RFC 5782 §5: every IPv4 list lists 127.0.0.2, for tests like this one
            .zone("bl.example", "2.0.0.127 A 127.0.0.2\n2.0.0.127 TXT \"test entry\"\n")
            .start()) {
      System.out.println("== 6. Deliverability: DKIM, preflight, blocklists ==");
      MessageSigner signer =
          MessageSigner.all(
              List.of(
                  DkimSigner.builder().domain("shop.example").selector("rsa1").privateKey(rsa.getPrivate()).build(),
                  DkimSigner.builder().domain("shop.example").selector("ed1").privateKey(ed.getPrivate()).build()));
      Message newsletter =
          BulkHeaders.builder()
              .unsubscribe(
                  URI.create("mailto:unsubscribe@shop.example?subject=u-42"),
                  URI.create("https://shop.example/unsubscribe/u-42"))
              .precedenceBulk()
              .build()
              .applyTo(
                  Message.builder()
                      .from(Mailbox.of("Shop News", "news", "shop.example"))
                      .to(Mailbox.of("bob", "example.org"))
                      .subject("December offers")
                      .text("Hello Bob, our December offers are here.\n"))
              .build();
      ByteArrayOutputStream rendered = new ByteArrayOutputStream();
      newsletter.writeTo(rendered);
      Content signed = signer.signedSource(Content.ofBytes(rendered.toByteArray()));
      try (InputStream in = signed.open()) {
        String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        System.out.println("Signed message header:");
        System.out.println(Demo.indent(text.substring(0, text.indexOf("\r\n\r\n")), "  "));
      }
      PreflightReport report =
          Preflight.builder()
              .domain("shop.example")
              .sendingAddress(sendingAddress)
              .dkimKey("rsa1", rsa.getPrivate())
              .dkimKey("ed1", ed.getPrivate())
              .dnsServer(dns.address())
              .build()
              .run();
      System.out.println(report);
      BlocklistChecker blocklists =
          BlocklistChecker.builder().addressLists(List.of("bl.example")).dnsServer(dns.address()).build();
      System.out.println("Blocklist test entry: " + blocklists.check(InetAddress.getByName("127.0.0.2")).results());
      System.out.println();
    }
  }

  /** A key's TXT record in master-file form: quoted strings of at most 255 bytes. */
  private static String txt(PublicKey key) {
    return "TXT \"" + String.join("\" \"", DkimKeys.txtRecordStrings(key)) + "\"";
  }
}
