package dev.mailcore.imap;

import dev.mailcore.testnet.FaultServer;
import dev.mailcore.testnet.FaultServer.Conversation;
import java.io.IOException;

/** Scripts for a fault-injecting IMAP server: a correct login, then whatever a test needs. */
final class HostileImapServers {
  /** Answers one command after login. */
  @FunctionalInterface
  interface Answer {
    void answer(Conversation c, String tag, String command) throws IOException, InterruptedException;
  }

  private HostileImapServers() {}

  /** Greets, accepts LOGIN, then lets {@code after} answer every further command. */
  static FaultServer.Script loginThen(Answer after) {
    return loginThen((c, tag, command) -> c.send(tag + " OK done\r\n"), after);
  }

  /**
   * Answers LIST and SELECT for an INBOX of one message (UIDVALIDITY 7, UIDNEXT {@code uidNext});
   * returns false for any other command, for the caller to answer.
   */
  static boolean inboxOfOne(Conversation c, String tag, String command, long uidNext) throws IOException {
    return inbox(c, tag, command, 1, 7, uidNext);
  }

  /**
   * Answers LIST and SELECT for an INBOX of {@code exists} messages with the given UIDVALIDITY
   * and UIDNEXT; returns false for any other command, for the caller to answer.
   */
  static boolean inbox(Conversation c, String tag, String command, int exists, long uidValidity, long uidNext)
      throws IOException {
    String verb = command.toUpperCase(java.util.Locale.ROOT);
    if (verb.startsWith("LIST")) {
      c.send("* LIST () \"/\" INBOX\r\n" + tag + " OK done\r\n");
      return true;
    }
    if (verb.startsWith("SELECT") || verb.startsWith("EXAMINE")) {
      c.send("* FLAGS (\\Deleted \\Seen)\r\n* " + exists + " EXISTS\r\n* 0 RECENT\r\n"
          + "* OK [UIDVALIDITY " + uidValidity + "] ok\r\n"
          + "* OK [UIDNEXT " + uidNext + "] ok\r\n" + tag + " OK [READ-WRITE] done\r\n");
      return true;
    }
    return false;
  }

  /** As {@link #loginThen(Answer)}, with {@code noop} answering NOOP. */
  static FaultServer.Script loginThen(Answer noop, Answer after) {
    return loginThen("IMAP4rev1", noop, after);
  }

  /** As {@link #loginThen(Answer, Answer)}, advertising {@code capabilities}. */
  static FaultServer.Script loginThen(String capabilities, Answer noop, Answer after) {
    return c -> {
      c.send("* OK [CAPABILITY " + capabilities + "] hostile test server ready\r\n");
      String line;
      while ((line = c.readLine()) != null) {
        String tag = Conversation.tag(line);
        String command = line.substring(Math.min(line.length(), tag.length() + 1));
        String verb = command.split(" ", 2)[0].toUpperCase(java.util.Locale.ROOT);
        switch (verb) {
          case "CAPABILITY" -> c.send("* CAPABILITY " + capabilities + "\r\n" + tag + " OK done\r\n");
          case "LOGIN" -> c.send(tag + " OK [CAPABILITY " + capabilities + "] logged in\r\n");
          case "NOOP" -> noop.answer(c, tag, command);
          case "LOGOUT" -> {
            c.send("* BYE bye\r\n" + tag + " OK done\r\n");
            return;
          }
          default -> after.answer(c, tag, command);
        }
      }
    };
  }
}
