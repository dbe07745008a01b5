package dev.mailcore.smtp.internal;

import dev.mailcore.ServerReply;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the SMTP conversation at TRACE to the logger {@code dev.mailcore.smtp.transcript}, one
 * line per command or reply line, prefixed {@code C:} or {@code S:}. Secrets are redacted by
 * construction: AUTH arguments and SASL responses are replaced before any text reaches the sink,
 * and message bodies are never logged (only their size).
 *
 * <p>Thread-safe when the sink is.
 */
public final class TranscriptLogger {
  private static final Logger TRANSCRIPT = LoggerFactory.getLogger("dev.mailcore.smtp.transcript");
  private static final TranscriptLogger SLF4J = new TranscriptLogger(TRANSCRIPT::trace, false);

  private final Consumer<String> sink;
  private final boolean always;

  private TranscriptLogger(Consumer<String> sink, boolean always) {
    this.sink = sink;
    this.always = always;
  }

  /** Returns the logger writing to SLF4J at TRACE. */
  public static TranscriptLogger slf4j() {
    return SLF4J;
  }

  /** Returns a logger that hands every (already redacted) line to {@code sink}, always. */
  public static TranscriptLogger to(Consumer<String> sink) {
    Objects.requireNonNull(sink, "sink");
    return new TranscriptLogger(sink, true);
  }

  boolean enabled() {
    return always || TRANSCRIPT.isTraceEnabled();
  }

  void client(String host, String line) {
    if (enabled()) {
      sink.accept(host + " C: " + line);
    }
  }

  /**
   * Logs a line carrying a secret: only {@code visiblePart} (such as {@code AUTH PLAIN}, or empty
   * for a SASL response) is shown; the rest never reaches the sink.
   */
  void clientSecret(String host, String visiblePart) {
    if (enabled()) {
      sink.accept(host + " C: " + (visiblePart.isEmpty() ? "" : visiblePart + " ") + "<redacted>");
    }
  }

  void clientBody(String host, String what, long bytes) {
    if (enabled()) {
      sink.accept(host + " C: <" + what + ", " + bytes + " bytes>");
    }
  }

  void server(String host, ServerReply reply) {
    if (enabled()) {
      sink.accept(host + " S: " + reply);
      for (int i = 1; i < reply.lines().size(); i++) {
        sink.accept(host + " S: " + reply.code() + "-" + reply.lines().get(i));
      }
    }
  }
}
