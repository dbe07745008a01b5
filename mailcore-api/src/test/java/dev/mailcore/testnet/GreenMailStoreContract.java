package dev.mailcore.testnet;

import dev.mailcore.MailStore;
import dev.mailcore.MailStoreContract;
import dev.mailcore.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The shared {@link MailStoreContract} on a fresh GreenMail server per test, mail delivered through
 * GreenMail's delivery API. A protocol module's test extends it once per way of connecting
 * (plain text, implicit TLS), supplying its server fixture and a store built on it.
 *
 * @param <S> the protocol module's server fixture
 */
public abstract class GreenMailStoreContract<S extends GreenMailServer> extends MailStoreContract {
  /** The server of the current test, started before {@link #build()} is called. */
  protected S server;

  private MailStore store;

  /** Starts the protocol module's server. */
  protected abstract S startServer();

  /** Builds the store under test on {@link #server}. */
  protected abstract MailStore build();

  @BeforeEach
  protected final void startServerAndStore() {
    server = startServer();
    store = build();
  }

  @AfterEach
  protected final void stopStoreAndServer() {
    store.close();
    server.close();
  }

  @Override
  protected final MailStore store() {
    return store;
  }

  @Override
  protected final void deliver(Message message) {
    server.deliver(message);
  }
}
