package dev.mailcore.smtp.dkim;

import dev.mailcore.Header;
import dev.mailcore.Message;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The header fields that large mailbox providers expect on bulk mail: {@code List-Unsubscribe}
 * with an HTTPS and a mailto form plus {@code List-Unsubscribe-Post: List-Unsubscribe=One-Click}
 * (RFC 2369, RFC 8058), {@code Precedence: bulk} and {@code Auto-Submitted: auto-generated} (RFC
 * 3834) so that auto-responders stay quiet. {@link DkimSigner} signs all of them by default, as
 * RFC 8058 §4 requires for one-click unsubscription.
 *
 * <pre>{@code
 * BulkHeaders bulk = BulkHeaders.builder()
 *     .unsubscribe(URI.create("mailto:unsub@shop.example?subject=u-42"),
 *                  URI.create("https://shop.example/unsub/u-42"))
 *     .precedenceBulk()
 *     .build();
 * Message m = bulk.applyTo(Message.builder().from("news@shop.example").to(...)).build();
 * }</pre>
 *
 * <p>Immutable and thread-safe. The message's Message-ID is on the From domain already ({@link
 * Message.Builder#build()}), which providers also check.
 *
 * @since 0.1
 */
public final class BulkHeaders {
  /** The value of {@code List-Unsubscribe-Post} that asks for one-click unsubscription. */
  public static final String ONE_CLICK = "List-Unsubscribe=One-Click";

  private final List<Header> headers;

  private BulkHeaders(List<Header> headers) {
    this.headers = List.copyOf(headers);
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns {@code List-Unsubscribe} with both forms and the one-click {@code
   * List-Unsubscribe-Post}.
   *
   * @throws IllegalArgumentException when {@code mailto} is not a mailto URI or {@code https} not
   *     an https URI
   */
  public static BulkHeaders listUnsubscribe(URI mailto, URI https) {
    return builder().unsubscribe(mailto, https).build();
  }

  /** Returns the header fields, in the order they are added to a message. */
  public List<Header> headers() {
    return headers;
  }

  /**
   * Adds the fields to {@code message}, first removing fields of the same names, so applying
   * twice leaves one of each.
   *
   * @return {@code message}
   */
  public Message.Builder applyTo(Message.Builder message) {
    Objects.requireNonNull(message, "message");
    Set<String> names = new LinkedHashSet<>();
    headers.forEach(h -> names.add(h.name()));
    names.forEach(message::removeHeader);
    headers.forEach(h -> message.header(h.name(), h.value()));
    return message;
  }

  @Override
  public String toString() {
    return "BulkHeaders" + headers;
  }

  /** Builds {@link BulkHeaders}. Not thread-safe. */
  public static final class Builder {
    private URI mailto;
    private URI https;
    private boolean bulk;
    private boolean autoSubmitted;

    private Builder() {}

    /**
     * Sets both unsubscribe forms; the https one makes it one-click (RFC 8058).
     *
     * @throws IllegalArgumentException when a URI has the wrong scheme or characters that cannot
     *     stand in angle brackets
     */
    public Builder unsubscribe(URI mailto, URI https) {
      unsubscribeMailto(mailto);
      return unsubscribeOneClick(https);
    }

    /**
     * Sets the mailto form alone: no one-click header is then written.
     *
     * @throws IllegalArgumentException when it is not a mailto URI
     */
    public Builder unsubscribeMailto(URI mailto) {
      this.mailto = checked(mailto, "mailto");
      return this;
    }

    /**
     * Sets the HTTPS form, which the receiver POSTs {@value #ONE_CLICK} to (RFC 8058 §3.1).
     *
     * @throws IllegalArgumentException when it is not an https URI (plain http is not allowed)
     */
    public Builder unsubscribeOneClick(URI https) {
      this.https = checked(https, "https");
      return this;
    }

    /** Adds {@code Precedence: bulk}, which tells auto-responders not to answer. */
    public Builder precedenceBulk() {
      this.bulk = true;
      return this;
    }

    /** Adds {@code Auto-Submitted: auto-generated} (RFC 3834 §5), for machine-made mail. */
    public Builder autoSubmitted() {
      this.autoSubmitted = true;
      return this;
    }

    /**
     * Builds the fields.
     *
     * @throws IllegalStateException when nothing was chosen
     */
    public BulkHeaders build() {
      List<Header> out = new ArrayList<>();
      List<String> forms = new ArrayList<>();
      if (https != null) {
        forms.add("<" + https.toASCIIString() + ">");
      }
      if (mailto != null) {
        forms.add("<" + mailto.toASCIIString() + ">");
      }
      if (!forms.isEmpty()) {
        out.add(new Header("List-Unsubscribe", String.join(", ", forms)));
      }
      if (https != null) {
        out.add(new Header("List-Unsubscribe-Post", ONE_CLICK));
      }
      if (bulk) {
        out.add(new Header("Precedence", "bulk"));
      }
      if (autoSubmitted) {
        out.add(new Header("Auto-Submitted", "auto-generated"));
      }
      if (out.isEmpty()) {
        throw new IllegalStateException("no bulk header chosen");
      }
      return new BulkHeaders(out);
    }

    private static URI checked(URI uri, String scheme) {
      Objects.requireNonNull(uri, scheme);
      if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals(scheme)) {
        throw new IllegalArgumentException("expected a " + scheme + ": URI, not " + uri);
      }
      String text = uri.toASCIIString();
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '<' || c == '>' || c == ',' || c <= ' ') {
          // RFC 2369 §2: such characters must be percent-encoded inside the angle brackets
          throw new IllegalArgumentException(
              "unsubscribe URI has '" + c + "' at index " + i + "; percent-encode it: " + text);
        }
      }
      return uri;
    }
  }
}
