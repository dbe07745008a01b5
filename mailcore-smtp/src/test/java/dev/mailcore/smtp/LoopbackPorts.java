package dev.mailcore.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Finds one TCP port free on several loopback addresses, so test hosts differ only by address. */
final class LoopbackPorts {
  private LoopbackPorts() {}

  /** Returns a port that was free on every one of {@code ips} a moment ago. */
  static int freeOnAll(List<String> ips) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int candidate;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ips.get(0)))) {
        candidate = s.getLocalPort();
      }
      if (bindsOnAll(ips, candidate)) {
        return candidate;
      }
    }
    throw new IOException("no port free on all of " + ips);
  }

  private static boolean bindsOnAll(List<String> ips, int port) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (String ip : ips) {
        ServerSocket s = new ServerSocket();
        held.add(s);
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(ip), port));
      }
      return true;
    } catch (IOException e) {
      return false; // taken on one address: the caller tries another port
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
  }
}
