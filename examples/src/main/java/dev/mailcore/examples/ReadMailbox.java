package dev.mailcore.examples;

import dev.mailcore.Flag;
import dev.mailcore.Folder;
import dev.mailcore.FolderInfo;
import dev.mailcore.MailStore;
import dev.mailcore.StoreCapability;
import dev.mailcore.StoredMessage;
import dev.mailcore.SyncResult;
import dev.mailcore.SyncState;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Application code that reads a mailbox through the common {@link MailStore} interface only: the
 * same method serves IMAP and POP3 ({@link FetchImap}, {@link FetchPop3}). It asks {@link
 * MailStore#capabilities()} before using what only some protocols have.
 */
public final class ReadMailbox {
  private ReadMailbox() {}

  /**
   * Prints the folders, fetches what is new since {@code state}, marks it seen where the store has
   * flags, and returns the state to save for the next run.
   */
  public static SyncState show(String label, MailStore store, SyncState state) {
    Set<StoreCapability> caps = store.capabilities();
    System.out.println("  " + label + ": capabilities " + caps);
    List<FolderInfo> folders = store.folders();
    System.out.println("    folders: " + folders.stream()
        .map(f -> f.name() + f.role().map(r -> " (" + r + ")").orElse(""))
        .collect(Collectors.joining(", ")));
    try (Folder inbox = store.inbox()) {
      SyncResult result = inbox.fetchNew(state);
      System.out.println("    " + result.messages().size() + " new message(s) in " + inbox.name()
          + (result.reset() ? " (server renumbered the folder: all count as new)" : ""));
      for (StoredMessage m : result.messages()) {
        System.out.printf("    %-28s %-24s %6d bytes  flags %s  uid %s%n",
            m.subject().orElse("(no subject)"),
            m.from().stream().findFirst().map(f -> f.address()).orElse("?"),
            m.size(), m.flags(), m.uid());
      }
      if (!result.messages().isEmpty()) {
        // the body is fetched only now, streamed from the server and parsed
        StoredMessage first = result.messages().get(0);
        String text = first.message().text().orElse("").strip();
        System.out.println("    first message's text: \"" + text + "\"");
      }
      if (caps.contains(StoreCapability.FLAGS) && !result.messages().isEmpty()) {
        inbox.addFlags(result.messages().stream().map(StoredMessage::uid).toList(), Set.of(Flag.SEEN));
        System.out.println("    flags now: " + inbox.list().map(m -> m.flags().toString()).toList());
      }
      SyncResult again = inbox.fetchNew(result.next());
      System.out.println("    a second fetchNew with the saved state finds " + again.messages().size()
          + " new; state to save: " + abbreviate(result.next().encoded()));
      return result.next();
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 48 ? s.substring(0, 45) + "..." : s;
  }
}
