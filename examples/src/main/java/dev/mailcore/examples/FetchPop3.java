package dev.mailcore.examples;

import dev.mailcore.Credentials;
import dev.mailcore.MailStore;
import dev.mailcore.SyncState;
import dev.mailcore.TlsMode;
import dev.mailcore.pop3.Pop3Store;
import java.time.Duration;

/** Reads a mailbox over POP3, leaving mail on the server: {@code FetchPop3 host port user password}. */
public final class FetchPop3 {
  private FetchPop3() {}

  /** Opens a POP3 store; plain text only on port 110 and only because it is asked for here. */
  public static MailStore open(String host, int port, String user, String password) {
    boolean plain = port == 110 || host.startsWith("127.");
    return Pop3Store.builder()
        .host(host)
        .port(port)
        .tls(plain ? TlsMode.NONE : TlsMode.IMPLICIT)
        .allowPlaintext(plain)
        .credentials(Credentials.password(user, password))
        .leaveOnServer(true)
        .connectTimeout(Duration.ofSeconds(10))
        .readTimeout(Duration.ofSeconds(30))
        .build();
  }

  /** Runs against the server named on the command line. */
  public static void main(String[] args) {
    try (MailStore store = open(args[0], Integer.parseInt(args[1]), args[2], args[3])) {
      ReadMailbox.show("POP3 " + args[0], store, SyncState.initial());
    }
  }
}
