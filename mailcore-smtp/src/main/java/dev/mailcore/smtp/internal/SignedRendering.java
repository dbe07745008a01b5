package dev.mailcore.smtp.internal;

import dev.mailcore.Attachment;
import dev.mailcore.Content;
import dev.mailcore.Message;
import dev.mailcore.smtp.dkim.MessageSigner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A message rendered once and signed, for senders with a {@link MessageSigner}: DKIM needs the
 * exact bytes twice (hash, then send), and every retry must resend what was signed. A message whose
 * attachments are all in memory is rendered into memory (it is there already); one with file or
 * stream attachments is rendered into a temporary file, deleted by {@link #close()}.
 */
public final class SignedRendering implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SignedRendering.class);

  private final Content signed;
  private final Path file;

  private SignedRendering(Content signed, Path file) {
    this.signed = signed;
    this.file = file;
  }

  /**
   * Renders and signs {@code message}.
   *
   * @throws UncheckedIOException when rendering or the temporary file fails
   * @throws dev.mailcore.MailFormatException when the signer refuses the message
   */
  public static SignedRendering of(Message message, MessageSigner signer) {
    boolean inMemory = message.attachments().stream().map(Attachment::content).allMatch(Content::isInMemory);
    if (inMemory) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      message.writeTo(out);
      return new SignedRendering(signer.signedSource(Content.ofBytes(out.toByteArray())), null);
    }
    Path file = null;
    try {
      file = Files.createTempFile("mailcore-", ".eml");
      try (OutputStream out = Files.newOutputStream(file)) {
        message.writeTo(out);
      }
      return new SignedRendering(signer.signedSource(Content.ofPath(file)), file);
    } catch (IOException | RuntimeException e) {
      if (file != null) {
        deleteQuietly(file);
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot render the message for signing", io);
      }
      throw (RuntimeException) e;
    }
  }

  /** Returns the signed bytes: the signature header fields, then the message. */
  public Content content() {
    return signed;
  }

  /** Deletes the temporary file, if there is one. */
  @Override
  public void close() {
    if (file != null) {
      deleteQuietly(file);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // nothing is lost: the file is a copy of a message already sent or failed
      log.warn("cannot delete the temporary file {}: {}", file, e.toString());
    }
  }
}
