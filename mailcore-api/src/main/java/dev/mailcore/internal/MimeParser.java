package dev.mailcore.internal;

import dev.mailcore.Message;
import java.io.InputStream;

/** Parses MIME into a Message over Jakarta Mail. TO BE WRITTEN (foundation issue). */
public final class MimeParser {
  private MimeParser() {}

  public static Message parse(InputStream in) {
    throw new UnsupportedOperationException("not yet");
  }
}
