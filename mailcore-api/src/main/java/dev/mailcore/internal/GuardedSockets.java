package dev.mailcore.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Properties;
import java.util.function.BiFunction;
import javax.net.SocketFactory;
import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Socket factories for Angus Mail whose sockets read through a {@link ResponseGuard}, so that a
 * hostile server cannot exhaust memory. Plain sockets are ordinary sockets with a guarded input
 * stream; TLS sockets wrap the JDK's and stay {@link SSLSocket}s, so Angus's host-name check,
 * STARTTLS and everything else work as before. Reads re-arm {@code TCP_QUICKACK} where the OS
 * has it ({@link QuickAckInput}). Thread-safe.
 */
public final class GuardedSockets {
  private GuardedSockets() {}

  /**
   * Installs guarded plain and TLS socket factories for {@code protocol} into {@code props}.
   *
   * @param tls the TLS factory to wrap (from the configured context, or the JDK default)
   * @param imap true to track IMAP literals
   * @param readTimeout the most that reads may block for one line or 64 KiB of a literal
   */
  public static void install(
      Properties props, String protocol, SSLSocketFactory tls, boolean imap, Duration readTimeout) {
    String p = "mail." + protocol + ".";
    props.put(p + "socketFactory", new Plain(imap, readTimeout));
    props.put(p + "ssl.socketFactory", new Tls(tls, imap, readTimeout));
  }

  /** A plain socket whose input stream is guarded. */
  static final class GuardedSocket extends Socket {
    private final boolean imap;
    private final Duration readTimeout;
    private InputStream guarded;

    GuardedSocket(boolean imap, Duration readTimeout) {
      this.imap = imap;
      this.readTimeout = readTimeout;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (guarded == null) {
        guarded = new ResponseGuard(new QuickAckInput(super.getInputStream(), this), imap, readTimeout);
      }
      return guarded;
    }
  }

  static final class Plain extends SocketFactory {
    private final boolean imap;
    private final Duration readTimeout;

    Plain(boolean imap, Duration readTimeout) {
      this.imap = imap;
      this.readTimeout = readTimeout;
    }

    @Override
    public Socket createSocket() {
      return new GuardedSocket(imap, readTimeout);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      Socket s = createSocket();
      s.connect(new java.net.InetSocketAddress(host, port));
      return s;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      Socket s = createSocket();
      s.bind(new java.net.InetSocketAddress(localHost, localPort));
      s.connect(new java.net.InetSocketAddress(host, port));
      return s;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      Socket s = createSocket();
      s.connect(new java.net.InetSocketAddress(host, port));
      return s;
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      Socket s = createSocket();
      s.bind(new java.net.InetSocketAddress(localAddress, localPort));
      s.connect(new java.net.InetSocketAddress(address, port));
      return s;
    }
  }

  static final class Tls extends SSLSocketFactory {
    private final SSLSocketFactory inner;
    private final boolean imap;
    private final Duration readTimeout;

    Tls(SSLSocketFactory inner, boolean imap, Duration readTimeout) {
      this.inner = inner;
      this.imap = imap;
      this.readTimeout = readTimeout;
    }

    private Socket wrap(Socket s) {
      return new GuardedSslSocket((SSLSocket) s, imap, readTimeout);
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return inner.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return inner.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
      return wrap(inner.createSocket());
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose)
        throws IOException {
      return wrap(inner.createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return wrap(inner.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      return wrap(inner.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return wrap(inner.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return wrap(inner.createSocket(address, port, localAddress, localPort));
    }
  }

  /** The JDK's TLS socket with a guarded input stream; every other call is delegated. */
  static final class GuardedSslSocket extends SSLSocket {
    private final SSLSocket d;
    private final boolean imap;
    private final Duration readTimeout;
    private InputStream guarded;

    GuardedSslSocket(SSLSocket delegate, boolean imap, Duration readTimeout) {
      this.d = delegate;
      this.imap = imap;
      this.readTimeout = readTimeout;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (guarded == null) {
        guarded = new ResponseGuard(new QuickAckInput(d.getInputStream(), d), imap, readTimeout);
      }
      return guarded;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      return d.getOutputStream();
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
      d.connect(endpoint);
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
      d.connect(endpoint, timeout);
    }

    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
      d.bind(bindpoint);
    }

    @Override
    public InetAddress getInetAddress() {
      return d.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
      return d.getLocalAddress();
    }

    @Override
    public int getPort() {
      return d.getPort();
    }

    @Override
    public int getLocalPort() {
      return d.getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
      return d.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
      return d.getLocalSocketAddress();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
      d.setTcpNoDelay(on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
      return d.getTcpNoDelay();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
      d.setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
      return d.getSoLinger();
    }

    @Override
    public synchronized void setSoTimeout(int timeout) throws SocketException {
      d.setSoTimeout(timeout);
    }

    @Override
    public synchronized int getSoTimeout() throws SocketException {
      return d.getSoTimeout();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
      d.setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
      return d.getKeepAlive();
    }

    @Override
    public synchronized void close() throws IOException {
      d.close();
    }

    @Override
    public void shutdownInput() throws IOException {
      d.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
      d.shutdownOutput();
    }

    @Override
    public boolean isConnected() {
      return d.isConnected();
    }

    @Override
    public boolean isBound() {
      return d.isBound();
    }

    @Override
    public boolean isClosed() {
      return d.isClosed();
    }

    @Override
    public boolean isInputShutdown() {
      return d.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
      return d.isOutputShutdown();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return d.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
      return d.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
      d.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
      return d.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
      return d.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
      d.setEnabledProtocols(protocols);
    }

    @Override
    public SSLSession getSession() {
      return d.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
      return d.getHandshakeSession();
    }

    @Override
    public void addHandshakeCompletedListener(HandshakeCompletedListener listener) {
      d.addHandshakeCompletedListener(listener);
    }

    @Override
    public void removeHandshakeCompletedListener(HandshakeCompletedListener listener) {
      d.removeHandshakeCompletedListener(listener);
    }

    @Override
    public void startHandshake() throws IOException {
      d.startHandshake();
    }

    @Override
    public void setUseClientMode(boolean mode) {
      d.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
      return d.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
      d.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
      return d.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
      d.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
      return d.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
      d.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
      return d.getEnableSessionCreation();
    }

    @Override
    public SSLParameters getSSLParameters() {
      return d.getSSLParameters();
    }

    @Override
    public void setSSLParameters(SSLParameters params) {
      d.setSSLParameters(params);
    }

    @Override
    public String getApplicationProtocol() {
      return d.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
      return d.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(
        BiFunction<SSLSocket, java.util.List<String>, String> selector) {
      d.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLSocket, java.util.List<String>, String> getHandshakeApplicationProtocolSelector() {
      return d.getHandshakeApplicationProtocolSelector();
    }

    @Override
    public String toString() {
      return "Guarded" + d;
    }
  }
}
