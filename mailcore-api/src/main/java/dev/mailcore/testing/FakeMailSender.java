package dev.mailcore.testing;

import dev.mailcore.DeliveryStatus;
import dev.mailcore.Envelope;
import dev.mailcore.MailSender;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.ServerReply;
import java.io.ByteArrayOutputStream;
import java.net.IDN;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link MailSender} that sends nothing: it records every message handed to it and answers with
 * scripted outcomes, so tests can check what their code sent and how it handles refused recipients,
 * deferrals and unreachable servers.
 *
 * <p>Thread-safe: code under test may send from many threads while the test scripts and reads.
 * {@link #sendAsync} completes on the calling thread, so a test needs no waiting.
 *
 * <p>By default every recipient is accepted with {@code 250 2.0.0}. Scripted outcomes are real
 * {@link RecipientResult}s with reply codes and enhanced status codes, as a relay would return:
 * {@link #deferring} and {@link #failing} answer for one address or a whole domain until {@link
 * #clearOutcomes()}; {@link #failingNext} and {@link #unreachableNext} answer for every recipient
 * of the next sends.
 *
 * <pre>{@code
 * FakeMailSender sender = new FakeMailSender()
 *     .failing("gone@example.org", ServerReply.of(550, "5.1.1 No such user"));
 * new Newsletter(sender).sendTo(subscribers);   // the code under test
 * assertThat(sender.sentTo("bob@example.org")).hasSize(1);
 * }</pre>
 *
 * @since 0.1
 */
public final class FakeMailSender implements MailSender {
  /** The host named in every result, as the relay that answered. */
  public static final String HOST = "fake-mail-sender.invalid";

  private final List<Rule> rules = new ArrayList<>();
  private final List<Forced> forced = new ArrayList<>();
  private final List<SentMessage> sent = new ArrayList<>();
  private long queueId;
  private boolean closed;

  /** Creates a sender that accepts every recipient. */
  public FakeMailSender() {}

  /** One message handed to {@link #send}, with the outcome the fake gave. Thread-safe. */
  public static final class SentMessage {
    private final Envelope envelope;
    private final Message message;
    private final SendResult result;
    private byte[] bytes;

    private SentMessage(Envelope envelope, Message message, SendResult result) {
      this.envelope = envelope;
      this.message = message;
      this.result = result;
    }

    /** Returns the envelope it was sent with. */
    public Envelope envelope() {
      return envelope;
    }

    /** Returns the message as given. */
    public Message message() {
      return message;
    }

    /** Returns the result the fake returned. */
    public SendResult result() {
      return result;
    }

    /** Returns the recipients that the fake accepted. */
    public List<Mailbox> deliveredTo() {
      return result.withStatus(DeliveryStatus.DELIVERED).stream()
          .map(RecipientResult::recipient)
          .toList();
    }

    /**
     * Returns the message as it would have gone over the wire ({@link Message#writeTo}), rendered
     * on the first call.
     *
     * @throws java.io.UncheckedIOException when an attachment cannot be read
     */
    public synchronized byte[] bytes() {
      if (bytes == null) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        bytes = out.toByteArray();
      }
      return bytes.clone();
    }

    @Override
    public String toString() {
      return "SentMessage{" + envelope.recipients() + ", " + message.subject().orElse("") + "}";
    }
  }

  /** A standing outcome for an address or a domain. */
  private record Rule(String localPart, String asciiDomain, ServerReply reply) {
    boolean matches(Mailbox m) {
      return m.asciiDomain().equalsIgnoreCase(asciiDomain)
          && (localPart == null || localPart.equals(m.localPart()));
    }
  }

  /** An outcome for every recipient of the next sends; no reply means unreachable. */
  private static final class Forced {
    int remaining;
    final Optional<ServerReply> reply;

    Forced(int remaining, Optional<ServerReply> reply) {
      this.remaining = remaining;
      this.reply = reply;
    }
  }

  /**
   * Defers (4xx) a recipient, given as {@code local@domain}, or every recipient of a domain, given
   * as {@code domain}, until {@link #clearOutcomes()}.
   *
   * @throws IllegalArgumentException when the reply is not a 4xx reply or the target is empty
   */
  public FakeMailSender deferring(String recipientOrDomain, ServerReply reply) {
    return addRule(recipientOrDomain, reply, true);
  }

  /**
   * Defers (4xx) one recipient until {@link #clearOutcomes()}.
   *
   * @throws IllegalArgumentException when the reply is not a 4xx reply
   */
  public FakeMailSender deferring(Mailbox recipient, ServerReply reply) {
    return addRule(Objects.requireNonNull(recipient, "recipient").address(), reply, true);
  }

  /**
   * Refuses (5xx) a recipient, given as {@code local@domain}, or every recipient of a domain, given
   * as {@code domain}, until {@link #clearOutcomes()}.
   *
   * @throws IllegalArgumentException when the reply is not a 5xx reply or the target is empty
   */
  public FakeMailSender failing(String recipientOrDomain, ServerReply reply) {
    return addRule(recipientOrDomain, reply, false);
  }

  /**
   * Refuses (5xx) one recipient until {@link #clearOutcomes()}.
   *
   * @throws IllegalArgumentException when the reply is not a 5xx reply
   */
  public FakeMailSender failing(Mailbox recipient, ServerReply reply) {
    return addRule(Objects.requireNonNull(recipient, "recipient").address(), reply, false);
  }

  /**
   * Answers every recipient of the next {@code sends} sends with {@code reply}: deferred for a 4xx
   * reply, failed for a 5xx one. Takes precedence over the per-recipient outcomes.
   *
   * @throws IllegalArgumentException when {@code sends} is not positive or the reply is positive
   */
  public FakeMailSender failingNext(int sends, ServerReply reply) {
    Objects.requireNonNull(reply, "reply");
    if (reply.isPositive()) {
      throw new IllegalArgumentException("a failing reply must be 4xx or 5xx: " + reply);
    }
    return force(sends, Optional.of(reply));
  }

  /**
   * Makes the next {@code sends} sends find no server: every recipient is deferred with no reply,
   * as when the relay refuses the connection or times out.
   *
   * @throws IllegalArgumentException when {@code sends} is not positive
   */
  public FakeMailSender unreachableNext(int sends) {
    return force(sends, Optional.empty());
  }

  private synchronized FakeMailSender force(int sends, Optional<ServerReply> reply) {
    if (sends <= 0) {
      throw new IllegalArgumentException("number of sends must be positive: " + sends);
    }
    forced.add(new Forced(sends, reply));
    return this;
  }

  private synchronized FakeMailSender addRule(String target, ServerReply reply, boolean defer) {
    Objects.requireNonNull(target, "recipientOrDomain");
    Objects.requireNonNull(reply, "reply");
    if (defer && !reply.isTransient()) {
      throw new IllegalArgumentException("a deferring reply must be 4xx: " + reply);
    }
    if (!defer && !reply.isPermanent()) {
      throw new IllegalArgumentException("a failing reply must be 5xx: " + reply);
    }
    int at = target.lastIndexOf('@');
    String local = at < 0 ? null : target.substring(0, at);
    String domain = at < 0 ? target : target.substring(at + 1);
    if (domain.isEmpty() || (local != null && local.isEmpty())) {
      throw new IllegalArgumentException("not an address or domain: '" + target + "'");
    }
    rules.add(new Rule(local, IDN.toASCII(domain).toLowerCase(Locale.ROOT), reply));
    return this;
  }

  /** Forgets every scripted outcome; later sends are accepted again. */
  public synchronized void clearOutcomes() {
    rules.clear();
    forced.clear();
  }

  /**
   * Records the message and returns the scripted outcome of each envelope recipient.
   *
   * @throws IllegalStateException when the sender is closed
   */
  @Override
  public SendResult send(Envelope envelope, Message message) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(message, "message");
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the sender is closed");
      }
      Optional<Forced> force = forced.stream().findFirst();
      force.ifPresent(
          f -> {
            if (--f.remaining == 0) {
              forced.remove(0);
            }
          });
      long id = ++queueId;
      List<RecipientResult> results = new ArrayList<>();
      for (Mailbox r : envelope.recipients()) {
        results.add(outcome(r, force, id));
      }
      SendResult result = new SendResult(message.messageId(), results);
      sent.add(new SentMessage(envelope, message, result));
      return result;
    }
  }

  private RecipientResult outcome(Mailbox r, Optional<Forced> force, long id) {
    if (force.isPresent()) {
      return force
          .get()
          .reply
          .map(reply -> RecipientResult.ofReply(r, reply, HOST))
          .orElseGet(
              () ->
                  RecipientResult.ofFailure(
                      r, true, "connection refused by " + HOST + " (scripted)", HOST));
    }
    Optional<Rule> rule =
        rules.stream()
            .filter(x -> x.localPart() != null && x.matches(r))
            .findFirst()
            .or(
                () ->
                    rules.stream().filter(x -> x.localPart() == null && x.matches(r)).findFirst());
    if (rule.isPresent()) {
      return RecipientResult.ofReply(r, rule.get().reply(), HOST);
    }
    return RecipientResult.ofReply(r, ServerReply.of(250, "2.0.0 Ok: queued as FAKE" + id), HOST);
  }

  /**
   * Sends on the calling thread and returns a completed future: completed with the result, or
   * exceptionally with what {@link #send(Envelope, Message)} would have thrown.
   */
  @Override
  public CompletableFuture<SendResult> sendAsync(Envelope envelope, Message message) {
    try {
      return CompletableFuture.completedFuture(send(envelope, message));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Returns every message handed to {@link #send}, oldest first, whatever its outcome. */
  public synchronized List<SentMessage> sent() {
    return List.copyOf(sent);
  }

  /** Returns the messages that the fake accepted for {@code recipient}, oldest first. */
  public synchronized List<SentMessage> sentTo(Mailbox recipient) {
    Objects.requireNonNull(recipient, "recipient");
    return sent.stream()
        .filter(s -> s.deliveredTo().stream().anyMatch(recipient::sameAddress))
        .toList();
  }

  /**
   * Returns the messages that the fake accepted for the address {@code recipient} ({@code
   * local@domain}, domain compared ignoring case), oldest first.
   *
   * @throws IllegalArgumentException when it is not of the form {@code local@domain}
   */
  public List<SentMessage> sentTo(String recipient) {
    Objects.requireNonNull(recipient, "recipient");
    int at = recipient.lastIndexOf('@');
    if (at <= 0 || at == recipient.length() - 1) {
      throw new IllegalArgumentException("not an address: '" + recipient + "'");
    }
    return sentTo(Mailbox.of(recipient.substring(0, at), recipient.substring(at + 1)));
  }

  /** Returns the message sent last, if any. */
  public synchronized Optional<SentMessage> lastSent() {
    return sent.isEmpty() ? Optional.empty() : Optional.of(sent.get(sent.size() - 1));
  }

  /** Forgets the recorded messages; the scripted outcomes stay. */
  public synchronized void clear() {
    sent.clear();
  }

  /** Returns true once {@link #close()} was called. */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Refuses further sends; what was recorded stays readable. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
  }

  @Override
  public synchronized String toString() {
    return "FakeMailSender{sent="
        + sent.size()
        + ", rules="
        + rules.size()
        + (closed ? ", closed" : "")
        + "}";
  }
}
