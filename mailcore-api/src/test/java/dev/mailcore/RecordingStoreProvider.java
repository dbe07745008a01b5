package dev.mailcore;

import dev.mailcore.spi.MailStoreProvider;
import dev.mailcore.testing.InMemoryMailStore;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A store provider for the scheme {@code recording}, registered through the test resources' {@code
 * META-INF/services}: it opens in-memory stores and records what it was asked, so lookup tests can
 * see the URI and credentials arrive. Public because {@link java.util.ServiceLoader} instantiates
 * it.
 */
public final class RecordingStoreProvider implements MailStoreProvider {
  /** Every open call, across instances (ServiceLoader makes a new instance per lookup). */
  static final List<Object[]> OPENED = new CopyOnWriteArrayList<>();

  /** Called by ServiceLoader. */
  public RecordingStoreProvider() {}

  @Override
  public String name() {
    return "recording";
  }

  @Override
  public Set<String> schemes() {
    return Set.of("recording", "recordings");
  }

  @Override
  public MailStore open(URI uri, Credentials credentials) {
    OPENED.add(new Object[] {uri, credentials});
    return InMemoryMailStore.builder().build();
  }
}
