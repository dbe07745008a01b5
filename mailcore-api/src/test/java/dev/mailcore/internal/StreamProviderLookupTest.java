package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.util.StreamProvider;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Collections;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class StreamProviderLookupTest {

  @Test
  void servesTheProviderFileFromMemoryDuringTheRun() {
    List<URL> urls = StreamProviderLookup.run(() -> {
      try {
        return Collections.list(Thread.currentThread().getContextClassLoader()
            .getResources("META-INF/services/jakarta.mail.util.StreamProvider"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });

    assertThat(urls).singleElement().satisfies(u -> assertThat(u.getProtocol()).isEqualTo("mailcore-memory"));
  }

  @Test
  void findsTheAngusProviderThroughTheCachedLookup() {
    StreamProvider provider = StreamProviderLookup.run(StreamProvider::provider);
    StreamProvider viaContext = StreamProviderLookup.run(() ->
        ServiceLoader.load(StreamProvider.class, Thread.currentThread().getContextClassLoader()).findFirst().orElseThrow());

    assertThat(provider.getClass().getName()).isEqualTo("org.eclipse.angus.mail.util.MailStreamProvider");
    assertThat(viaContext.getClass()).isEqualTo(provider.getClass());
  }

  @Test
  void restoresTheContextLoaderEvenWhenTheWorkFails() {
    ClassLoader original = Thread.currentThread().getContextClassLoader();
    ClassLoader mine = new URLClassLoader(new URL[0], getClass().getClassLoader());
    Thread.currentThread().setContextClassLoader(mine);
    try {
      assertThatThrownBy(() -> StreamProviderLookup.run(() -> {
        throw new IllegalStateException("boom");
      })).hasMessage("boom");

      assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(mine);
    } finally {
      Thread.currentThread().setContextClassLoader(original);
    }
  }
}
