package dev.mailcore.smtp.queue;

import dev.mailcore.DsnOptions;
import dev.mailcore.EnhancedStatus;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.ServerReply;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The binary form of a {@link QueueEntry} in the journal: compact, versioned, independent of Java
 * serialization. Addresses are stored as local part and domain so reading needs no parser.
 */
final class EntryCodec {

  private static final int VERSION = 1;
  private static final int MAX_TEXT = 4000;

  private EntryCodec() {}

  static byte[] encode(QueueEntry e) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      writeString(out, e.id().value());
      writeInstant(out, e.created());
      out.writeBoolean(e.delayWarned());
      Envelope env = e.envelope();
      out.writeBoolean(env.reversePath().isPresent());
      if (env.reversePath().isPresent()) {
        writeMailbox(out, env.reversePath().get());
      }
      DsnOptions dsn = env.dsn();
      int notify = 0;
      for (DsnOptions.Notify n : dsn.notifyOn()) {
        notify |= 1 << n.ordinal();
      }
      out.writeByte(notify);
      out.writeByte(dsn.ret().map(r -> r.ordinal() + 1).orElse(0));
      writeOptString(out, dsn.envelopeId());
      out.writeInt(e.recipients().size());
      for (RecipientState r : e.recipients()) {
        writeMailbox(out, r.recipient());
        out.writeByte(r.status().ordinal());
        out.writeInt(r.attempts());
        writeOptInstant(out, r.nextAttempt());
        writeOptInstant(out, r.lastAttempt());
        out.writeBoolean(r.lastReply().isPresent());
        if (r.lastReply().isPresent()) {
          ServerReply reply = r.lastReply().get();
          out.writeShort(reply.code());
          writeOptString(out, reply.status().map(EnhancedStatus::toString));
          out.writeInt(reply.lines().size());
          for (String line : reply.lines()) {
            writeString(out, line);
          }
        }
        writeOptString(out, r.diagnostic());
        writeOptString(out, r.remoteHost());
      }
    } catch (IOException x) {
      throw new UncheckedIOException(x); // a byte array stream does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * Decodes an entry.
   *
   * @throws IOException when the bytes are not an entry this version can read
   */
  static QueueEntry decode(byte[] data) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
    int version = in.readUnsignedByte();
    if (version != VERSION) {
      throw new IOException("unknown queue entry version " + version);
    }
    try {
      QueueId id = new QueueId(readString(in));
      Instant created = readInstant(in);
      boolean delayWarned = in.readBoolean();
      Optional<Mailbox> reversePath =
          in.readBoolean() ? Optional.of(readMailbox(in)) : Optional.empty();
      int notify = in.readUnsignedByte();
      Set<DsnOptions.Notify> notifyOn = EnumSet.noneOf(DsnOptions.Notify.class);
      for (DsnOptions.Notify n : DsnOptions.Notify.values()) {
        if ((notify & (1 << n.ordinal())) != 0) {
          notifyOn.add(n);
        }
      }
      int ret = in.readUnsignedByte();
      Optional<DsnOptions.Ret> retOpt =
          ret == 0 ? Optional.empty() : Optional.of(DsnOptions.Ret.values()[ret - 1]);
      DsnOptions dsn = new DsnOptions(notifyOn, retOpt, readOptString(in));
      int n = in.readInt();
      List<RecipientState> states = new ArrayList<>(n);
      List<Mailbox> rcpts = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Mailbox m = readMailbox(in);
        RecipientState.Status status = RecipientState.Status.values()[in.readUnsignedByte()];
        int attempts = in.readInt();
        Optional<Instant> next = readOptInstant(in);
        Optional<Instant> last = readOptInstant(in);
        Optional<ServerReply> reply = Optional.empty();
        if (in.readBoolean()) {
          int code = in.readUnsignedShort();
          Optional<EnhancedStatus> es = readOptString(in).map(EnhancedStatus::parse);
          int lines = in.readInt();
          List<String> texts = new ArrayList<>(lines);
          for (int j = 0; j < lines; j++) {
            texts.add(readString(in));
          }
          reply = Optional.of(new ServerReply(code, es, texts));
        }
        Optional<String> diagnostic = readOptString(in);
        Optional<String> host = readOptString(in);
        rcpts.add(m);
        states.add(new RecipientState(m, status, attempts, next, last, reply, diagnostic, host));
      }
      Envelope env = new Envelope(reversePath, rcpts, dsn);
      return new QueueEntry(id, env, created, states, delayWarned);
    } catch (RuntimeException x) {
      throw new IOException("damaged queue entry: " + x.getMessage(), x);
    }
  }

  private static void writeMailbox(DataOutputStream out, Mailbox m) throws IOException {
    writeString(out, m.localPart());
    writeString(out, m.domain());
  }

  private static Mailbox readMailbox(DataInputStream in) throws IOException {
    String local = readString(in);
    String domain = readString(in);
    return Mailbox.of(local, domain);
  }

  private static void writeInstant(DataOutputStream out, Instant t) throws IOException {
    out.writeLong(t.getEpochSecond());
    out.writeInt(t.getNano());
  }

  private static Instant readInstant(DataInputStream in) throws IOException {
    return Instant.ofEpochSecond(in.readLong(), in.readInt());
  }

  private static void writeOptInstant(DataOutputStream out, Optional<Instant> t)
      throws IOException {
    out.writeBoolean(t.isPresent());
    if (t.isPresent()) {
      writeInstant(out, t.get());
    }
  }

  private static Optional<Instant> readOptInstant(DataInputStream in) throws IOException {
    return in.readBoolean() ? Optional.of(readInstant(in)) : Optional.empty();
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    String text = s.length() > MAX_TEXT ? s.substring(0, MAX_TEXT) : s;
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int len = in.readInt();
    if (len < 0 || len > MAX_TEXT * 4) {
      throw new IOException("bad string length " + len);
    }
    byte[] b = new byte[len];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void writeOptString(DataOutputStream out, Optional<String> s) throws IOException {
    out.writeBoolean(s.isPresent());
    if (s.isPresent()) {
      writeString(out, s.get());
    }
  }

  private static Optional<String> readOptString(DataInputStream in) throws IOException {
    return in.readBoolean() ? Optional.of(readString(in)) : Optional.empty();
  }
}
