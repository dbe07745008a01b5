package dev.mailcore.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A socket input stream that asks the kernel, before each read, to acknowledge what arrives at
 * once (Linux {@code TCP_QUICKACK}, which the kernel clears again on its own). A server that
 * writes a reply in several small pieces with Nagle's algorithm on holds each later piece until
 * the first is acknowledged; with delayed acknowledgements that costs about 40 ms per multi-line
 * reply even on loopback. Where the option is unsupported this is a plain pass-through. Not
 * thread-safe (one reader per socket).
 */
public final class QuickAckInput extends FilterInputStream {
  private static final Logger log = LoggerFactory.getLogger(QuickAckInput.class);

  private final Socket socket;
  private boolean enabled;

  /** Wraps {@code in}, the input stream of {@code socket}. */
  public QuickAckInput(InputStream in, Socket socket) {
    super(in);
    this.socket = socket;
    this.enabled = socket.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK);
  }

  private void arm() {
    if (!enabled) {
      return;
    }
    try {
      socket.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
    } catch (IOException | UnsupportedOperationException e) {
      // only a latency optimisation: reads work the same without it, so stop trying
      enabled = false;
      log.debug("TCP_QUICKACK cannot be set on {}; acknowledgements stay delayed", socket, e);
    }
  }

  @Override
  public int read() throws IOException {
    arm();
    return in.read();
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    arm();
    return in.read(buf, off, len);
  }
}
