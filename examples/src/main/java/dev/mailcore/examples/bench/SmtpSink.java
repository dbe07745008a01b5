package dev.mailcore.examples.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fast SMTP sink for benchmarks: accepts every message and forgets it, answering pipelined
 * commands the way a real server does (replies are flushed only when no more input is waiting).
 * PIPELINING and CHUNKING are each switchable. Loopback only.
 *
 * <p>Thread-safe; one thread per connection.
 */
public final class SmtpSink implements AutoCloseable {
  private final ServerSocket server;
  private final boolean pipelining;
  private final boolean chunking;
  private final AtomicLong messages = new AtomicLong();

  /** Starts a sink on an ephemeral loopback port. */
  public SmtpSink(boolean pipelining, boolean chunking) throws IOException {
    this.pipelining = pipelining;
    this.chunking = chunking;
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    Thread t = new Thread(this::accept, "sink-accept");
    t.setDaemon(true);
    t.start();
  }

  /** Returns the port. */
  public int port() {
    return server.getLocalPort();
  }

  /** Returns the number of messages accepted so far. */
  public long messages() {
    return messages.get();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> serve(s), "sink-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      socket.setTcpNoDelay(true);
      new Conversation(socket.getInputStream(), socket.getOutputStream()).run();
    } catch (IOException e) {
      // the client closed the connection
    }
  }

  private final class Conversation {
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[65536];
    private int pos;
    private int lim;
    private final byte[] outBuf = new byte[16384];
    private int outLen;
    private final byte[] line = new byte[4096];

    Conversation(InputStream in, OutputStream out) {
      this.in = in;
      this.out = out;
    }

    void run() throws IOException {
      reply("220 sink ESMTP");
      while (true) {
        int n = readLine();
        if (n < 0) {
          flush();
          return;
        }
        String verb = new String(line, 0, Math.min(n, 4), StandardCharsets.US_ASCII).toUpperCase();
        switch (verb) {
          case "EHLO" -> {
            StringBuilder b = new StringBuilder("250-sink\r\n");
            if (pipelining) {
              b.append("250-PIPELINING\r\n");
            }
            if (chunking) {
              b.append("250-CHUNKING\r\n");
            }
            b.append("250 8BITMIME");
            reply(b.toString());
          }
          case "HELO", "MAIL", "RCPT", "RSET", "NOOP" -> reply("250 2.0.0 Ok");
          case "DATA" -> {
            reply("354 go ahead");
            while (true) {
              int m = readLine();
              if (m < 0) {
                return;
              }
              if (m == 1 && line[0] == '.') {
                break;
              }
            }
            messages.incrementAndGet();
            reply("250 2.0.0 Ok: queued");
          }
          case "BDAT" -> {
            String[] words = new String(line, 0, n, StandardCharsets.US_ASCII).split(" +");
            long size = Long.parseLong(words[1]);
            skip(size);
            boolean last = words.length > 2 && words[2].equalsIgnoreCase("LAST");
            if (last) {
              messages.incrementAndGet();
            }
            reply(last ? "250 2.0.0 Ok: queued" : "250 2.0.0 chunk ok");
          }
          case "QUIT" -> {
            reply("221 bye");
            flush();
            return;
          }
          default -> reply("500 unknown command");
        }
      }
    }

    private void reply(String text) throws IOException {
      byte[] b = (text + "\r\n").getBytes(StandardCharsets.US_ASCII);
      if (outLen + b.length > outBuf.length) {
        flush();
      }
      System.arraycopy(b, 0, outBuf, outLen, b.length);
      outLen += b.length;
    }

    private void flush() throws IOException {
      if (outLen > 0) {
        out.write(outBuf, 0, outLen);
        out.flush();
        outLen = 0;
      }
    }

    /** Reads a line without CRLF into {@link #line} (truncated when longer); -1 at the end. */
    private int readLine() throws IOException {
      int n = 0;
      while (true) {
        if (pos == lim && !fill()) {
          return -1;
        }
        byte b = buf[pos++];
        if (b == '\n') {
          return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
        }
        if (n < line.length) {
          line[n++] = b;
        }
      }
    }

    private void skip(long count) throws IOException {
      while (count > 0) {
        if (pos == lim && !fill()) {
          throw new IOException("connection closed inside a chunk");
        }
        int k = (int) Math.min(count, lim - pos);
        pos += k;
        count -= k;
      }
    }

    private boolean fill() throws IOException {
      // about to wait for the client: send what has been answered so far
      flush();
      int r = in.read(buf, 0, buf.length);
      if (r < 0) {
        return false;
      }
      pos = 0;
      lim = r;
      return true;
    }
  }
}
