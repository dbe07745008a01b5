package dev.mailcore.smtp.dkim;

import dev.mailcore.Content;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's dkimpy ({@code python3-dkim}, {@code python3-nacl} for ed25519) on a message: the
 * independent verifier of mailcore's DKIM signatures. The system interpreter is used on purpose,
 * since the Debian packages are installed for it.
 */
final class DkimPy {
  static final Path PYTHON = Path.of("/usr/bin/python3");

  /** dkimpy's answer: exit 0 is a valid signature; the output holds its log. */
  record Result(int exitCode, String output) {
    boolean verified() {
      return exitCode == 0;
    }
  }

  private DkimPy() {}

  /** Verifies {@code message}, answering the key query for {@code recordName} with {@code txt}. */
  static Result verify(Content message, String recordName, String txt) throws IOException {
    return verify(message, 0, Map.of(recordName, txt));
  }

  /**
   * Verifies the {@code index}-th DKIM-Signature field (0 is the top one), answering key queries
   * from {@code records} (record name to TXT value).
   */
  static Result verify(Content message, int index, Map<String, String> records) throws IOException {
    Path dir = Files.createTempDirectory("dkimpy");
    try {
      List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script().toString(), "--index", Integer.toString(index)));
      int n = 0;
      for (Map.Entry<String, String> r : records.entrySet()) {
        Path txtFile = Files.writeString(dir.resolve("key" + n++ + ".txt"), r.getValue(), StandardCharsets.US_ASCII);
        command.add(r.getKey());
        command.add(txtFile.toString());
      }
      Path log = dir.resolve("out.txt");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      try (OutputStream stdin = p.getOutputStream();
          InputStream in = message.open()) {
        in.transferTo(stdin);
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("dkimpy did not finish in 120 s");
      }
      int code = p.exitValue();
      String out = Files.readString(log, StandardCharsets.UTF_8);
      if (code == 2) {
        throw new IOException("dkimpy could not run (apt-get install python3-dkim python3-nacl?):\n" + out);
      }
      return new Result(code, out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  private static Path script() {
    try {
      return Path.of(DkimPy.class.getResource("/dkim/verify.py").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
