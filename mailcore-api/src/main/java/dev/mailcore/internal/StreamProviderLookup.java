package dev.mailcore.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.util.Collections;
import java.util.Enumeration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes Jakarta Mail's {@code StreamProvider} look-up cheap while {@link MimeParser} runs.
 *
 * <p>Jakarta Mail 2.1 calls {@code StreamProvider.provider()} for every body part, multipart,
 * decoded content stream and encoded-word it parses, and each call is a fresh {@code
 * ServiceLoader} scan of every class path entry (jakartaee/mail-api #699, #861): most of the
 * time of a parse. Its {@code FactoryFinder} asks the thread's context class loader first, so
 * during a parse the context loader is one that answers the one service file from memory (read
 * once, from mailcore's own class loader, where Jakarta Mail and Angus Mail live) and delegates
 * everything else to that loader. The previous context loader is restored afterwards.
 *
 * Also used by the protocol modules around their own header parsing.
 *
 * <p>Thread-safe: the loader is immutable and the context loader is per thread.
 */
public final class StreamProviderLookup {
  private static final Logger LOG = LoggerFactory.getLogger(StreamProviderLookup.class);
  private static final String SERVICE_FILE = "META-INF/services/jakarta.mail.util.StreamProvider";
  private static final ClassLoader LOADER = create();

  private StreamProviderLookup() {}

  /** Work that may fail with a checked exception of type {@code E}. */
  @FunctionalInterface
  public interface Work<T, E extends Exception> {
    /** Does the work. */
    T run() throws E;
  }

  /** Runs {@code work} with the cached look-up in place. */
  public static <T> T run(Supplier<T> work) {
    return call(work::get);
  }

  /**
   * Runs {@code work} with the cached look-up in place; what it throws passes through unchanged.
   */
  public static <T, E extends Exception> T call(Work<T, E> work) throws E {
    if (LOADER == null) {
      return work.run();
    }
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(LOADER);
    try {
      return work.run();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  private static ClassLoader create() {
    ClassLoader own = StreamProviderLookup.class.getClassLoader();
    if (own == null) {
      return null;
    }
    ByteArrayOutputStream services = new ByteArrayOutputStream();
    try {
      for (URL url : Collections.list(own.getResources(SERVICE_FILE))) {
        try (InputStream in = url.openStream()) {
          in.transferTo(services);
          services.write('\n');
        }
      }
    } catch (IOException e) {
      // parsing still works through Jakarta Mail's own (slow) look-up; say why it is slow
      LOG.debug("cannot read {}; Jakarta Mail looks its StreamProvider up itself", SERVICE_FILE, e);
      return null;
    }
    if (services.size() == 0) {
      return null; // module path or no provider: leave Jakarta Mail's own look-up alone
    }
    return new CachingLoader(own, memoryUrl(services.toByteArray()));
  }

  private static URL memoryUrl(byte[] content) {
    URLStreamHandler handler = new URLStreamHandler() {
      @Override
      protected URLConnection openConnection(URL u) {
        return new URLConnection(u) {
          @Override
          public void connect() {
            connected = true;
          }

          @Override
          public InputStream getInputStream() {
            return new ByteArrayInputStream(content);
          }
        };
      }
    };
    try {
      return new URL("mailcore-memory", "", -1, "/" + SERVICE_FILE, handler);
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Answers the service file from memory; every other request goes to the parent. */
  private static final class CachingLoader extends ClassLoader {
    static {
      registerAsParallelCapable();
    }

    private final URL services;

    CachingLoader(ClassLoader parent, URL services) {
      super("mailcore-stream-provider", parent);
      this.services = services;
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
      if (SERVICE_FILE.equals(name)) {
        return Collections.enumeration(java.util.List.of(services));
      }
      return super.getResources(name);
    }
  }
}
