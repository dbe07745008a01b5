package dev.mailcore.internal;

import dev.mailcore.Message;
import java.io.IOException;
import java.io.OutputStream;

/** Renders a Message as MIME over Jakarta Mail. TO BE WRITTEN (foundation issue). */
public final class MimeRenderer {
  private MimeRenderer() {}

  public static void write(Message message, OutputStream out) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }
}
