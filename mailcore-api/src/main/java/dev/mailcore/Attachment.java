package dev.mailcore;

import dev.mailcore.internal.HeaderChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A body part that is not the message text: an attached file, or an inline part (an image the
 * HTML refers to by {@code cid:}).
 *
 * <p>Immutable and thread-safe; the content is read only when the message is written.
 *
 * @param fileName the file name shown to the recipient (non-ASCII names are encoded per RFC
 *     2231), when there is one
 * @param contentType the MIME type, such as {@code application/pdf}
 * @param inline true for {@code Content-Disposition: inline}, false for {@code attachment}
 * @param contentId the Content-ID without angle brackets, for parts the HTML refers to
 * @param content the bytes
 * @since 0.1
 */
public record Attachment(
    Optional<String> fileName,
    String contentType,
    boolean inline,
    Optional<String> contentId,
    Content content) {

  /**
   * Validates.
   *
   * @throws MailFormatException when a field contains CR, LF or control characters, the content
   *     type is not {@code type/subtype} with optional parameters, or the Content-ID is empty,
   *     contains white space, quotes or angle brackets, or is longer than 900 characters
   * @throws NullPointerException when an argument is null
   */
  public Attachment {
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(contentId, "contentId");
    Objects.requireNonNull(content, "content");
    fileName.ifPresent(n -> HeaderChecks.checkValue("filename", n));
    HeaderChecks.checkContentType(contentType);
    contentId.ifPresent(id -> HeaderChecks.checkId("Content-ID", id));
  }

  /** Creates an attachment from bytes. */
  public static Attachment of(String fileName, String contentType, byte[] bytes) {
    return new Attachment(
        Optional.of(fileName), contentType, false, Optional.empty(), Content.ofBytes(bytes));
  }

  /** Creates an attachment from a lazy content source. */
  public static Attachment of(String fileName, String contentType, Content content) {
    return new Attachment(Optional.of(fileName), contentType, false, Optional.empty(), content);
  }

  /**
   * Creates an attachment read from a file when the message is written; the name is the file's
   * name and the type is guessed from it.
   *
   * @throws IllegalArgumentException when the path has no file name (a root)
   */
  public static Attachment of(Path file) {
    Path fileName = Objects.requireNonNull(file, "file").getFileName();
    if (fileName == null) {
      throw new IllegalArgumentException("path has no file name: " + file);
    }
    String name = fileName.toString();
    return of(name, guessType(file), Content.ofPath(file));
  }

  /** Creates an inline part referred to from the HTML as {@code cid:<contentId>}. */
  public static Attachment inline(String contentId, String contentType, Content content) {
    return new Attachment(Optional.empty(), contentType, true, Optional.of(contentId), content);
  }

  private static String guessType(Path file) {
    try {
      String type = Files.probeContentType(file);
      if (type != null) {
        return type;
      }
    } catch (java.io.IOException e) {
      // fall through to the name-based guess below; probing is only a hint
    }
    String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (n.endsWith(".pdf")) {
      return "application/pdf";
    } else if (n.endsWith(".png")) {
      return "image/png";
    } else if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
      return "image/jpeg";
    } else if (n.endsWith(".txt")) {
      return "text/plain";
    } else if (n.endsWith(".html") || n.endsWith(".htm")) {
      return "text/html";
    }
    return "application/octet-stream";
  }
}
