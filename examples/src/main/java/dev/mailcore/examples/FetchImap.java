package dev.mailcore.examples;

import dev.mailcore.Credentials;
import dev.mailcore.MailStore;
import dev.mailcore.SyncState;
import dev.mailcore.TlsMode;
import dev.mailcore.imap.ImapStore;
import java.time.Duration;

/** Reads a mailbox over IMAP: {@code FetchImap host port user password} (implicit TLS unless port 143). */
public final class FetchImap {
  private FetchImap() {}

  /** Opens an IMAP store; plain text only on port 143 and only because it is asked for here. */
  public static MailStore open(String host, int port, String user, String password) {
    boolean plain = port == 143 || host.startsWith("127.");
    return ImapStore.builder()
        .host(host)
        .port(port)
        .tls(plain ? TlsMode.NONE : TlsMode.IMPLICIT)
        .allowPlaintext(plain)
        .credentials(Credentials.password(user, password))
        .connectTimeout(Duration.ofSeconds(10))
        .readTimeout(Duration.ofSeconds(30))
        .build();
  }

  /** Runs against the server named on the command line. */
  public static void main(String[] args) {
    try (MailStore store = open(args[0], Integer.parseInt(args[1]), args[2], args[3])) {
      ReadMailbox.show("IMAP " + args[0], store, SyncState.initial());
    }
  }
}
