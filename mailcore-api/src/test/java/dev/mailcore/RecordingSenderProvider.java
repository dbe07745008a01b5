package dev.mailcore;

import dev.mailcore.spi.MailSenderProvider;
import dev.mailcore.testing.FakeMailSender;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A sender provider for the scheme {@code recording}, registered through the test resources' {@code
 * META-INF/services}: it opens fake senders and records what it was asked. Public because {@link
 * java.util.ServiceLoader} instantiates it.
 */
public final class RecordingSenderProvider implements MailSenderProvider {
  /** Every open call, across instances. */
  static final List<Object[]> OPENED = new CopyOnWriteArrayList<>();

  /** Called by ServiceLoader. */
  public RecordingSenderProvider() {}

  @Override
  public String name() {
    return "recording";
  }

  @Override
  public Set<String> schemes() {
    return Set.of("recording");
  }

  @Override
  public MailSender open(URI uri, Optional<Credentials> credentials) {
    OPENED.add(new Object[] {uri, credentials});
    return new FakeMailSender();
  }
}
