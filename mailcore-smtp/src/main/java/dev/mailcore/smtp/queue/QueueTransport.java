package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.smtp.DirectSender;
import dev.mailcore.smtp.RenderedMessage;
import dev.mailcore.smtp.SmtpRelay;
import java.net.IDN;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
   * Starts delivering {@code message} and returns at once: the future completes with what {@link
   * #deliver} would return, or exceptionally with what it would throw. The agent keeps many
   * transactions in flight through a transport whose sessions stream them (such as {@link
   * #relay(SmtpRelay)}, up to the relay's unacknowledged-transaction window per session) without a
   * thread for each. The default calls {@link #deliver} on the calling thread.
   */
  default CompletableFuture<List<RecipientResult>> deliverAsync(
      Envelope envelope, Content message) {
    try {
      return CompletableFuture.completedFuture(deliver(envelope, message));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

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
    return sendingAsync(relay::sendAsync);
  }

  /**
   * Returns a transport that delivers every transaction straight to the recipient domain's mail
   * exchangers ({@link DirectSender}: MX lookup, null MX, fallback between hosts, opportunistic
   * TLS). A temporary failure at every exchanger comes back as deferred recipients, which the queue
   * retries on its back-off. The sender is not closed with the queue.
   *
   * <pre>{@code
   * MailQueue queue = MailQueue.builder()
   *     .store(FileQueueStore.open(spool))
   *     .transport(QueueTransport.direct(DirectSender.builder().ehloName("mx.example.com").build()))
   *     .build();
   * }</pre>
   */
  static QueueTransport direct(DirectSender sender) {
    Objects.requireNonNull(sender, "sender");
    return sending(sender::send);
  }

  /**
   * Returns a transport over an asynchronous sender of pre-rendered messages, such as {@code
   * SmtpRelay::sendAsync}: {@link #deliverAsync} hands the transaction over without blocking, and
   * {@link #deliver} waits for it. The function must be thread-safe and must return without
   * waiting for the delivery: the queue calls it on its dispatching thread, and records a plain
   * delivery on the thread that completes the future.
   */
  static QueueTransport sendingAsync(
      Function<RenderedMessage, CompletableFuture<SendResult>> sender) {
    Objects.requireNonNull(sender, "sender");
    return new NonBlockingTransport() {
      @Override
      public List<RecipientResult> deliver(Envelope envelope, Content message) {
        try {
          return deliverAsync(envelope, message).join();
        } catch (CompletionException e) {
          if (e.getCause() instanceof RuntimeException re) {
            throw re;
          }
          throw e;
        }
      }

      @Override
      public CompletableFuture<List<RecipientResult>> deliverAsync(
          Envelope envelope, Content message) {
        return sender.apply(RenderedMessage.of(envelope, message)).thenApply(SendResult::recipients);
      }
    };
  }

  /**
   * Returns a transport over any sender of pre-rendered messages, such as {@code
   * DirectSender::send} (MX delivery) or a router that picks a relay per domain. The function must
   * be thread-safe.
   *
   * <pre>{@code
   * QueueTransport t = QueueTransport.sending(router::send);
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
   *     Map.of("gmail.com", QueueTransport.relay(relay)), QueueTransport.direct(direct));
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
    QueueTransport router =
        new QueueTransport() {
          private QueueTransport route(Envelope envelope) {
            return frozen.getOrDefault(
                MailQueue.domainOf(envelope.recipients().get(0)), otherwise);
          }

          @Override
          public List<RecipientResult> deliver(Envelope envelope, Content message) {
            return route(envelope).deliver(envelope, message);
          }

          @Override
          public CompletableFuture<List<RecipientResult>> deliverAsync(
              Envelope envelope, Content message) {
            return route(envelope).deliverAsync(envelope, message);
          }
        };
    boolean allNonBlocking =
        otherwise instanceof NonBlockingTransport
            && frozen.values().stream().allMatch(NonBlockingTransport.class::isInstance);
    if (!allNonBlocking) {
      return router;
    }
    return new NonBlockingTransport() {
      @Override
      public List<RecipientResult> deliver(Envelope envelope, Content message) {
        return router.deliver(envelope, message);
      }

      @Override
      public CompletableFuture<List<RecipientResult>> deliverAsync(
          Envelope envelope, Content message) {
        return router.deliverAsync(envelope, message);
      }
    };
  }
}

/**
 * A transport whose {@link QueueTransport#deliverAsync} only hands the transaction over (to a
 * session's queue) and never blocks the caller: the queue then starts transactions on the thread
 * that dispatches them and records plain deliveries on the transport's thread, without a worker
 * hand-off per message.
 */
interface NonBlockingTransport extends QueueTransport {}
