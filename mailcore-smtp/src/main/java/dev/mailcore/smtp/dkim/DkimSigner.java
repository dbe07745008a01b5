package dev.mailcore.smtp.dkim;

import dev.mailcore.Content;
import dev.mailcore.MailFormatException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs messages with DKIM (RFC 6376), with rsa-sha256 or ed25519-sha256 (RFC 8463) chosen by
 * the key. The body hash is computed while the message streams through, so a message of any size
 * is signed in constant memory; only the header block (at most 1 MiB) is buffered.
 *
 * <p>Signed header fields: every field of the {@linkplain Builder#headers signed list} that the
 * message has, each as often as it occurs; the {@linkplain Builder#overSign over-signed} fields
 * (by default From, Subject, To, Date and Message-ID) are listed once more than they occur, so
 * that nobody can add another one later without breaking the signature. From is always signed.
 * The {@code l=} tag is never used: a signature covers the whole body.
 *
 * <pre>{@code
 * DkimSigner signer = DkimSigner.builder()
 *     .domain("shop.example")
 *     .selector("s1")
 *     .privateKey(Path.of("dkim-s1.pem"))
 *     .build();
 * Content signed = signer.signedSource(rendered);   // DKIM-Signature + the message
 * }</pre>
 *
 * <p>Immutable and thread-safe; one signer serves any number of threads.
 *
 * @since 0.1
 */
public final class DkimSigner implements MessageSigner {
  private static final Logger log = LoggerFactory.getLogger(DkimSigner.class);

  /**
   * Fields signed when present (RFC 6376 §5.4.1), List-Unsubscribe and List-Unsubscribe-Post
   * (RFC 8058 §4) among them.
   */
  public static final List<String> DEFAULT_HEADERS =
      List.of(
          "From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
          "In-Reply-To", "References", "MIME-Version", "Content-Type",
          "Content-Transfer-Encoding", "Content-ID", "Content-Description", "Resent-Date",
          "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Message-ID",
          "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe",
          "List-Post", "List-Owner", "List-Archive", "Feedback-ID", "Precedence",
          "Auto-Submitted");

  /** Fields listed once more than they occur, so that none can be added after signing. */
  public static final List<String> DEFAULT_OVER_SIGNED =
      List.of("From", "Subject", "To", "Date", "Message-ID");

  private static final Pattern SELECTOR =
      Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*");
  private static final Pattern FIELD_NAME = Pattern.compile("[\\x21-\\x39\\x3b-\\x7e]+");
  private static final int LINE_LIMIT = 78;

  private final String domain;
  private final String selector;
  private final PrivateKey key;
  private final DkimAlgorithm algorithm;
  private final DkimCanonicalization headerCanonicalization;
  private final DkimCanonicalization bodyCanonicalization;
  private final List<String> signedHeaders;
  private final Set<String> overSigned;
  private final Clock clock;
  private final Duration expireAfter;
  private final boolean timestamp;

  private DkimSigner(Builder b) {
    this.domain = b.domain;
    this.selector = b.selector;
    this.key = b.key;
    this.algorithm = DkimAlgorithm.of(b.key);
    this.headerCanonicalization = b.headerCanonicalization;
    this.bodyCanonicalization = b.bodyCanonicalization;
    LinkedHashSet<String> names = new LinkedHashSet<>();
    names.add("from");
    b.headers.forEach(h -> names.add(h.toLowerCase(Locale.ROOT)));
    b.overSign.forEach(h -> names.add(h.toLowerCase(Locale.ROOT)));
    this.signedHeaders = List.copyOf(names);
    LinkedHashSet<String> over = new LinkedHashSet<>();
    b.overSign.forEach(h -> over.add(h.toLowerCase(Locale.ROOT)));
    this.overSigned = Set.copyOf(over);
    this.clock = b.clock;
    this.expireAfter = b.expireAfter;
    this.timestamp = b.timestamp;
    DkimKeys.checkUsable(key, algorithm);
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the signing domain, the {@code d=} tag, in ASCII form. */
  public String domain() {
    return domain;
  }

  /** Returns the selector, the {@code s=} tag. */
  public String selector() {
    return selector;
  }

  /** Returns the name of the TXT record that must publish the public key. */
  public String keyRecordName() {
    return selector + "._domainkey." + domain;
  }

  /** Returns the {@code a=} tag value: {@code rsa-sha256} or {@code ed25519-sha256}. */
  public String algorithm() {
    return algorithm.tagValue();
  }

  /** Returns how long signatures stay valid ({@code x=}), when set. */
  public Optional<Duration> expireAfter() {
    return Optional.ofNullable(expireAfter);
  }

  /**
   * Returns the {@code DKIM-Signature} header field for {@code message}, folded, ending in CRLF.
   * Reads the message once.
   *
   * @throws MailFormatException when the message has no From field, a header line that is not a
   *     field, or a header block larger than 1 MiB
   * @throws UncheckedIOException when the message cannot be read
   */
  @Override
  public String sign(Content message) {
    Objects.requireNonNull(message, "message");
    HeaderBlock headers;
    byte[] bodyHash;
    try (InputStream raw = message.open();
        InputStream in = new BufferedInputStream(raw, 1 << 16)) {
      headers = HeaderBlock.read(in);
      MessageDigest digest = DkimAlgorithm.sha256();
      try (BodyCanonicalizer body = new BodyCanonicalizer(digest, bodyCanonicalization)) {
        in.transferTo(body);
      }
      bodyHash = digest.digest();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the message to sign", e);
    }
    if (headers.count("From") == 0) {
      throw new MailFormatException("message has no From field, which DKIM must sign", -1);
    }
    List<String> h = headerList(headers);
    List<String> tags = new ArrayList<>();
    tags.add("v=1");
    tags.add("a=" + algorithm.tagValue());
    tags.add("c=" + headerCanonicalization.tagValue() + "/" + bodyCanonicalization.tagValue());
    tags.add("d=" + domain);
    tags.add("s=" + selector);
    long now = clock.instant().getEpochSecond();
    if (timestamp) {
      tags.add("t=" + now);
    }
    if (expireAfter != null) {
      tags.add("x=" + (now + expireAfter.getSeconds()));
    }
    StringBuilder field = new StringBuilder("DKIM-Signature:");
    for (String tag : tags) {
      append(field, tag + ";");
    }
    appendHeaderList(field, h);
    append(field, "bh=" + Base64.getEncoder().encodeToString(bodyHash) + ";");
    append(field, "b=");
    String unsigned = field.toString();

    StringBuilder data = new StringBuilder();
    for (HeaderField f : select(headers, h)) {
      data.append(f.canonical(headerCanonicalization));
    }
    String self = new HeaderField("DKIM-Signature", unsigned + "\r\n").canonical(headerCanonicalization);
    data.append(self, 0, self.length() - 2); // the signature field is hashed without its CRLF
    byte[] signature;
    try {
      signature = algorithm.sign(key, data.toString().getBytes(StandardCharsets.ISO_8859_1));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing failed with a key that was checked at build", e);
    }
    appendFolded(field, Base64.getEncoder().encodeToString(signature));
    field.append("\r\n");
    log.debug("DKIM-signed for d={} s={} a={} h={}", domain, selector, algorithm.tagValue(), h);
    return field.toString();
  }

  /** Each signed name as often as it occurs, over-signed names once more (RFC 6376 §8.15). */
  private List<String> headerList(HeaderBlock headers) {
    List<String> h = new ArrayList<>();
    for (String name : signedHeaders) {
      int times = headers.count(name) + (overSigned.contains(name) ? 1 : 0);
      for (int i = 0; i < times; i++) {
        h.add(name);
      }
    }
    return h;
  }

  /** Picks fields for {@code h=} from the bottom up (RFC 6376 §5.4.2); missing ones add nothing. */
  private static List<HeaderField> select(HeaderBlock headers, List<String> h) {
    Map<String, Integer> used = new HashMap<>();
    List<HeaderField> all = headers.fields();
    List<HeaderField> picked = new ArrayList<>();
    for (String name : h) {
      int skip = used.merge(name, 1, Integer::sum) - 1;
      for (int i = all.size() - 1; i >= 0; i--) {
        if (all.get(i).name().equalsIgnoreCase(name) && skip-- == 0) {
          picked.add(all.get(i));
          break;
        }
      }
    }
    return picked;
  }

  private static int lineLength(StringBuilder field) {
    int lastBreak = field.lastIndexOf("\n");
    return field.length() - (lastBreak + 1);
  }

  /** Appends a tag, on a new folded line when it would not fit. */
  private static void append(StringBuilder field, String piece) {
    if (lineLength(field) + 1 + piece.length() > LINE_LIMIT) {
      field.append("\r\n\t");
    } else {
      field.append(' ');
    }
    field.append(piece);
  }

  /** Appends {@code h=}, folding before a colon where a line would grow too long. */
  private static void appendHeaderList(StringBuilder field, List<String> h) {
    append(field, "h=" + h.get(0));
    for (int i = 1; i < h.size(); i++) {
      String piece = ":" + h.get(i) + (i == h.size() - 1 ? ";" : "");
      if (lineLength(field) + piece.length() > LINE_LIMIT) {
        field.append("\r\n\t");
      }
      field.append(piece);
    }
    if (h.size() == 1) {
      field.append(';');
    }
  }

  /** Appends base64 text, breaking it with folding white space (allowed inside b=). */
  private static void appendFolded(StringBuilder field, String base64) {
    int i = 0;
    while (i < base64.length()) {
      int room = LINE_LIMIT - lineLength(field);
      if (room <= 0) {
        field.append("\r\n\t");
        continue;
      }
      int end = Math.min(base64.length(), i + room);
      field.append(base64, i, end);
      i = end;
    }
  }

  @Override
  public String toString() {
    return "DkimSigner{d=" + domain + ", s=" + selector + ", a=" + algorithm.tagValue() + "}";
  }

  /**
   * Builds a {@link DkimSigner}. Domain, selector and private key are required; the rest have
   * defaults: relaxed/relaxed canonicalization, {@link #DEFAULT_HEADERS}, {@link
   * #DEFAULT_OVER_SIGNED}, a {@code t=} timestamp, no expiry, the system UTC clock. Not
   * thread-safe.
   */
  public static final class Builder {
    private String domain;
    private String selector;
    private PrivateKey key;
    private DkimCanonicalization headerCanonicalization = DkimCanonicalization.RELAXED;
    private DkimCanonicalization bodyCanonicalization = DkimCanonicalization.RELAXED;
    private List<String> headers = DEFAULT_HEADERS;
    private List<String> overSign = DEFAULT_OVER_SIGNED;
    private Clock clock = Clock.systemUTC();
    private Duration expireAfter;
    private boolean timestamp = true;

    private Builder() {}

    /**
     * Sets the signing domain ({@code d=}); an internationalized name is converted to ASCII.
     *
     * @throws IllegalArgumentException when it is not a valid domain name
     */
    public Builder domain(String domain) {
      Objects.requireNonNull(domain, "domain");
      String ascii;
      try {
        ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a domain name: " + domain, e);
      }
      if (!ascii.contains(".") || !SELECTOR.matcher(ascii).matches()) {
        throw new IllegalArgumentException("not a domain name with a dot: " + domain);
      }
      this.domain = ascii;
      return this;
    }

    /**
     * Sets the selector ({@code s=}): the key is published at {@code
     * <selector>._domainkey.<domain>}.
     *
     * @throws IllegalArgumentException when it is not a dot-separated list of DNS labels
     */
    public Builder selector(String selector) {
      Objects.requireNonNull(selector, "selector");
      if (!SELECTOR.matcher(selector).matches()) {
        throw new IllegalArgumentException("selector must be DNS labels, not: " + selector);
      }
      this.selector = selector;
      return this;
    }

    /**
     * Sets the private key: RSA of at least 1024 bits (2048 recommended) or Ed25519.
     *
     * @throws IllegalArgumentException for another kind of key or a short RSA key
     */
    public Builder privateKey(PrivateKey key) {
      DkimAlgorithm.of(Objects.requireNonNull(key, "key"));
      this.key = key;
      return this;
    }

    /**
     * Reads the private key from a PKCS#8 PEM file ({@code -----BEGIN PRIVATE KEY-----}).
     *
     * @throws dev.mailcore.MailFormatException when the file holds no such key
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException for a short RSA key
     */
    public Builder privateKey(Path pemFile) {
      return privateKey(DkimKeys.readPrivateKey(pemFile));
    }

    /** Sets header and body canonicalization (default relaxed for both). */
    public Builder canonicalization(DkimCanonicalization header, DkimCanonicalization body) {
      this.headerCanonicalization = Objects.requireNonNull(header, "header");
      this.bodyCanonicalization = Objects.requireNonNull(body, "body");
      return this;
    }

    /**
     * Sets the fields signed when present (default {@link #DEFAULT_HEADERS}); From is always
     * signed.
     *
     * @throws IllegalArgumentException when a name is not a valid field name
     */
    public Builder headers(List<String> names) {
      this.headers = checkedNames(names);
      return this;
    }

    /**
     * Sets the fields signed once more than they occur (default {@link #DEFAULT_OVER_SIGNED}), so
     * that another instance cannot be added without breaking the signature; an empty list turns
     * over-signing off.
     *
     * @throws IllegalArgumentException when a name is not a valid field name
     */
    public Builder overSign(List<String> names) {
      this.overSign = checkedNames(names);
      return this;
    }

    /** Sets the clock read for {@code t=} and {@code x=} (default the system UTC clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Makes signatures expire ({@code x=}) this long after signing. Expiry should leave room for
     * the whole retry schedule of a queue; days, not minutes.
     *
     * @throws IllegalArgumentException when not at least one second
     */
    public Builder expireAfter(Duration validity) {
      Objects.requireNonNull(validity, "validity");
      if (validity.getSeconds() < 1) {
        throw new IllegalArgumentException("expiry must be at least one second: " + validity);
      }
      this.expireAfter = validity;
      return this;
    }

    /** Chooses whether signatures carry a {@code t=} timestamp (default true). */
    public Builder timestamp(boolean timestamp) {
      this.timestamp = timestamp;
      return this;
    }

    /**
     * Builds the signer.
     *
     * @throws IllegalStateException when domain, selector or key is missing, or expiry is set
     *     without a timestamp
     */
    public DkimSigner build() {
      if (domain == null || selector == null || key == null) {
        throw new IllegalStateException("a DKIM signer needs domain, selector and privateKey");
      }
      if (expireAfter != null && !timestamp) {
        throw new IllegalStateException("expireAfter needs the t= timestamp");
      }
      return new DkimSigner(this);
    }

    private static List<String> checkedNames(List<String> names) {
      Objects.requireNonNull(names, "names");
      for (String n : names) {
        Objects.requireNonNull(n, "names element");
        if (!FIELD_NAME.matcher(n).matches()) {
          throw new IllegalArgumentException("not a header field name: '" + n + "'");
        }
      }
      return List.copyOf(names);
    }
  }
}
