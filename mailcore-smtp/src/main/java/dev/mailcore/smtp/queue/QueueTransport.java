package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.smtp.RenderedMessage;
import dev.mailcore.smtp.SmtpRelay;
import java.net.IDN;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a {@link MailQueue}'s delivery agent hands one transaction to the network: an envelope whose
 * recipients all share one destination domain, and the stored message bytes, streamed from the
 * {@link QueueStore} on each attempt so every retry sends the same bytes.
 *
 * <p>The agent groups recipients by domain and limits parallel calls per domain, so an
 * implementation routes (relay, MX lookup, static route) and may reuse connections, but need not
 * throttle. Implementations must be thread-safe: the agent calls {@link #deliver} from several
 * worker threads at once.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface QueueTransport {

  /**
   * Delivers {@code message} to the recipients of {@code envelope}.
   *
   * @param envelope the reverse-path and the recipients of this transaction (one domain)
   * @param message the RFC 5322 bytes; {@link dev.mailcore.Content#open()} streams them
   * @return one result per envelope recipient; a recipient without a result counts as deferred
   * @throws dev.mailcore.MailException when the transaction could not run at all; its {@link
   *     dev.mailcore.MailException#isTemporary()} decides whether the recipients are deferred or
   *     failed
   */
  List<RecipientResult> deliver(Envelope envelope, Content message);

  /**
   * Returns a transport that hands every transaction to {@code relay} (the provider's submission
   * server), streaming the stored bytes through mailcore's SMTP engine; the relay's session pool
   * reuses connections between consecutive messages. The relay is not closed with the queue.
   *
   * <pre>{@code
   * MailQueue queue = MailQueue.builder()
   *     .store(FileQueueStore.open(spool))
   *     .transport(QueueTransport.relay(relay))
   *     .build();
   * }</pre>
   */
  static QueueTransport relay(SmtpRelay relay) {
    Objects.requireNonNull(relay, "relay");
    return sending(relay::send);
  }

  /**
   * Returns a transport over any sender of pre-rendered messages, such as {@code
   * DirectSender::send} (MX delivery) or a router that picks a relay per domain. The function must
   * be thread-safe.
   *
   * <pre>{@code
   * QueueTransport direct = QueueTransport.sending(directSender::send);
   * }</pre>
   */
  static QueueTransport sending(Function<RenderedMessage, SendResult> sender) {
    Objects.requireNonNull(sender, "sender");
    return (envelope, message) -> sender.apply(RenderedMessage.of(envelope, message)).recipients();
  }

  /**
   * Returns a transport that picks a transport by the recipients' domain (the agent gives each
   * transaction recipients of one domain): for example a relay for the domains whose servers refuse
   * direct delivery, direct MX delivery for the rest. Domain keys are matched without regard to
   * case, in their ASCII (IDNA) form.
   *
   * <pre>{@code
   * QueueTransport t = QueueTransport.routed(
   *     Map.of("gmail.com", QueueTransport.relay(relay)), QueueTransport.sending(direct::send));
   * }</pre>
   *
   * @throws IllegalArgumentException when a domain key is empty
   */
  static QueueTransport routed(Map<String, QueueTransport> byDomain, QueueTransport otherwise) {
    Objects.requireNonNull(otherwise, "otherwise");
    Map<String, QueueTransport> routes = new HashMap<>();
    byDomain.forEach(
        (domain, transport) -> {
          if (domain.isEmpty()) {
            throw new IllegalArgumentException("empty domain in routes");
          }
          routes.put(
              IDN.toASCII(domain).toLowerCase(Locale.ROOT),
              Objects.requireNonNull(transport, "transport for " + domain));
        });
    Map<String, QueueTransport> frozen = Map.copyOf(routes);
    return (envelope, message) ->
        frozen
            .getOrDefault(MailQueue.domainOf(envelope.recipients().get(0)), otherwise)
            .deliver(envelope, message);
  }
}
