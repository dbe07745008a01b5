package dev.mailcore.smtp.dkim;

import dev.mailcore.MailFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The header block of a message, read from the start of a stream up to the empty line that ends
 * it; the stream is left at the first byte of the body. Only the header block is buffered, and it
 * is limited in size.
 */
final class HeaderBlock {
  static final int MAX_BYTES = 1 << 20;

  private final List<HeaderField> fields;

  private HeaderBlock(List<HeaderField> fields) {
    this.fields = List.copyOf(fields);
  }

  List<HeaderField> fields() {
    return fields;
  }

  /** Counts the fields named {@code name}, ignoring case. */
  int count(String name) {
    int n = 0;
    for (HeaderField f : fields) {
      if (f.name().equalsIgnoreCase(name)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Reads the header block. A bare LF counts as a line end; lines are stored with CRLF.
   *
   * @throws MailFormatException when a line is neither a field nor a continuation, or the block
   *     exceeds {@link #MAX_BYTES}
   */
  static HeaderBlock read(InputStream in) throws IOException {
    List<HeaderField> fields = new ArrayList<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    StringBuilder field = null;
    String fieldName = null;
    long total = 0;
    int b;
    while (true) {
      b = in.read();
      if (b < 0 && line.size() == 0) {
        break; // end of message without a body
      }
      if (b >= 0 && b != '\n') {
        line.write(b);
        if (++total > MAX_BYTES) {
          throw new MailFormatException(
              "message header block is larger than " + MAX_BYTES + " bytes", -1);
        }
        continue;
      }
      String text = line.toString(StandardCharsets.ISO_8859_1);
      line.reset();
      if (text.endsWith("\r")) {
        text = text.substring(0, text.length() - 1);
      }
      if (text.isEmpty()) {
        break; // the empty line between header and body
      }
      char first = text.charAt(0);
      if (first == ' ' || first == '\t') {
        if (field == null) {
          throw new MailFormatException("message starts with a continuation line", -1);
        }
        field.append(text).append("\r\n");
      } else {
        if (field != null) {
          fields.add(new HeaderField(fieldName, field.toString()));
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
          throw new MailFormatException(
              "header line " + (fields.size() + 1) + " has no field name and colon", -1);
        }
        fieldName = text.substring(0, colon).strip();
        field = new StringBuilder(text).append("\r\n");
      }
      if (b < 0) {
        break;
      }
    }
    if (field != null) {
      fields.add(new HeaderField(fieldName, field.toString()));
    }
    return new HeaderBlock(fields);
  }
}
