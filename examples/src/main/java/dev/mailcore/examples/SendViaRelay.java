package dev.mailcore.examples;

import dev.mailcore.Credentials;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.SmtpRelay;
import dev.mailcore.smtp.testing.ScriptedSmtpServer;
import dev.mailcore.smtp.testing.TestCertificates;

/**
 * Sends one message through {@link SmtpRelay} with STARTTLS and AUTH to an embedded SMTP server
 * (the test fixture {@link ScriptedSmtpServer} on loopback, which refuses one of the three
 * recipients), and prints the outcome for each recipient.
 *
 * <p>Run: {@code mvn -q -B -o -pl examples -am package -DskipTests dependency:build-classpath
 * -Dmdep.outputFile=target/cp.txt} then {@code java -cp examples/target/classes:$(cat
 * examples/target/cp.txt) dev.mailcore.examples.SendViaRelay}.
 */
public final class SendViaRelay {
  private SendViaRelay() {}

  /** Runs the example. */
  public static void main(String[] args) throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder()
            .hostname("smtp.demo.test")
            .startTls(TestCertificates.serverContext())
            .auth("ana@shop.example", "app-password", "PLAIN", "LOGIN")
            .requireAuth(true)
            .pipelining(true)
            .chunking(true)
            .start()) {
      server.replyToRecipient("nobody@example.org", "550 5.1.1 No such user here");

      Message message = Message.builder()
          .from(Mailbox.of("Ana Lima", "ana", "shop.example"))
          .to(Mailbox.of("bob", "example.org"))
          .cc(Mailbox.of("nobody", "example.org"))
          .bcc(Mailbox.of("audit", "shop.example"))
          .subject("Olá, your order has shipped")
          .text("Hello Bob,\n\nyour order is on its way.\n")
          .build();

      try (SmtpRelay relay = SmtpRelay.builder()
          .host("localhost")
          .port(server.port())
          .tls(TlsMode.STARTTLS)
          .trustManager(TestCertificates.trustManager())
          .credentials(Credentials.password("ana@shop.example", "app-password"))
          .build()) {
        SendResult result = relay.send(message);
        System.out.println("sent " + result.messageId().orElse("(no Message-ID)")
            + " through " + server.hostname() + " with STARTTLS and AUTH:");
        for (RecipientResult r : result.recipients()) {
          System.out.printf("  %-22s %-9s %s%n", r.recipient().address(), r.status(), r.diagnostic());
        }
      }
      System.out.println("the server received " + server.transactions().size() + " transaction(s), "
          + server.transactions().get(0).data().length + " bytes, in "
          + server.transactions().get(0).roundTrips() + " round trip(s)");
    }
  }
}
