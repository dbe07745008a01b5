package dev.mailcore.internal;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.slf4j.Logger;

/**
 * A {@link PrintStream} for Angus Mail's debug output that writes each line to a transcript
 * logger at TRACE, masking credentials (LOGIN, AUTHENTICATE continuations, USER/PASS) before
 * the logger sees them. Angus already leaves authentication out unless {@code mail.debug.auth}
 * is set; this is the second guard.
 */
public final class Transcript extends OutputStream {
  private static final Pattern LOGIN =
      Pattern.compile("(?i)^(\\S+\\s+LOGIN\\s+\\S+)\\s+.*$");
  private static final Pattern AUTH = Pattern.compile("(?i)^((?:\\S+\\s+)?AUTH(?:ENTICATE)?\\s+\\S+)\\s+.*$");
  private static final Pattern PASS = Pattern.compile("(?i)^PASS\\s+.*$");

  private final Logger logger;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private Transcript(Logger logger) {
    this.logger = logger;
  }

  /** Returns a print stream logging to {@code logger} at TRACE. */
  public static PrintStream to(Logger logger) {
    return new PrintStream(new Transcript(logger), true, StandardCharsets.UTF_8);
  }

  /** Masks the secret of an authentication line; other lines are returned unchanged. */
  public static String redact(String s) {
    if (PASS.matcher(s).matches()) {
      return "PASS ***";
    }
    var m = LOGIN.matcher(s);
    if (m.matches()) {
      return m.group(1) + " ***";
    }
    m = AUTH.matcher(s);
    if (m.matches()) {
      return m.group(1) + " ***";
    }
    return s;
  }

  @Override
  public synchronized void write(int b) {
    if (b == '\n') {
      flushLine();
    } else if (b != '\r' && line.size() < 8192) {
      line.write(b);
    }
  }

  private void flushLine() {
    String s = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (!s.isEmpty() && logger.isTraceEnabled()) {
      logger.trace("{}", redact(s));
    }
  }
}
