package dev.mailcore;

import java.util.Objects;
import java.util.Optional;

/**
 * Thrown when a server refused a command with a well-formed reply; the connection is still
 * usable. The server's answer is data: {@link #reply()}.
 *
 * @since 0.1
 */
public class MailCommandException extends MailException {
  private static final long serialVersionUID = 1L;

  private final ServerReply reply;
  private final transient Mailbox mailbox;

  /**
   * Creates an exception for a refused command.
   *
   * @param message which command was refused
   * @param reply the server's reply
   * @param mailbox the mailbox concerned, or {@code null}
   */
  public MailCommandException(String message, ServerReply reply, Mailbox mailbox) {
    this(message, reply, mailbox, null);
  }

  /**
   * Creates an exception for a refused command, keeping the underlying failure of a protocol
   * library that reported it.
   *
   * @param message which command was refused
   * @param reply the server's reply
   * @param mailbox the mailbox concerned, or {@code null}
   * @param cause the underlying failure, or {@code null}
   */
  public MailCommandException(String message, ServerReply reply, Mailbox mailbox, Throwable cause) {
    super(message + ": " + Objects.requireNonNull(reply, "reply"), reply.isTransient(), cause);
    this.reply = reply;
    this.mailbox = mailbox;
  }

  /** Returns the server's reply. */
  public ServerReply reply() {
    return reply;
  }

  /** Returns the mailbox the refused command was about, when there was one. */
  public Optional<Mailbox> mailbox() {
    return Optional.ofNullable(mailbox);
  }
}
