package dev.mailcore.examples.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on loopback that delays every byte by a fixed time in each direction, so a
 * benchmark sees a wide-area round-trip time (25 ms each way = 50 ms RTT) without leaving the
 * machine. Bandwidth is not limited; segments keep their order.
 *
 * <p>Thread-safe; four threads per proxied connection.
 */
public final class LatencyProxy extends LoopbackServer {
  private final String targetHost;
  private final int targetPort;
  private final long delayNanos;

  private record Packet(long due, byte[] bytes) {}

  /** Starts a proxy to {@code targetPort} on loopback. */
  public LatencyProxy(int targetPort, Duration oneWay) throws IOException {
    this(InetAddress.getLoopbackAddress().getHostAddress(), targetPort, oneWay);
  }

  /** Starts a proxy on loopback to {@code targetHost:targetPort}. */
  public LatencyProxy(String targetHost, int targetPort, Duration oneWay) throws IOException {
    super("proxy");
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.delayNanos = oneWay.toNanos();
  }

  @Override
  void handle(Socket client) throws IOException {
    Socket target = new Socket(targetHost, targetPort);
    target.setTcpNoDelay(true);
    AtomicInteger open = new AtomicInteger(2);
    pump(client, target, open);
    pump(target, client, open);
  }

  private void pump(Socket from, Socket to, AtomicInteger open) throws IOException {
    InputStream in = from.getInputStream();
    OutputStream out = to.getOutputStream();
    LinkedBlockingQueue<Packet> queue = new LinkedBlockingQueue<>();
    Packet end = new Packet(0, new byte[0]);
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[65536];
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          queue.add(new Packet(System.nanoTime() + delayNanos, Arrays.copyOf(buf, n)));
        }
      } catch (IOException e) {
        // the connection ended
      }
      queue.add(end);
    }, "proxy-read");
    Thread writer = new Thread(() -> {
      try {
        while (true) {
          Packet p = queue.take();
          if (p == end) {
            to.shutdownOutput();
            break;
          }
          long wait;
          while ((wait = p.due() - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
          out.write(p.bytes());
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // the connection ended
      } finally {
        if (open.decrementAndGet() == 0) {
          try {
            from.close();
            to.close();
          } catch (IOException e) {
            // closing a finished connection
          }
        }
      }
    }, "proxy-write");
    reader.setDaemon(true);
    writer.setDaemon(true);
    reader.start();
    writer.start();
  }
}
