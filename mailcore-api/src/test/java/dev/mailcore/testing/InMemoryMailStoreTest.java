package dev.mailcore.testing;

import dev.mailcore.MailStore;
import dev.mailcore.MailStoreContract;
import dev.mailcore.Message;
import org.junit.jupiter.api.AfterEach;

class InMemoryMailStoreTest extends MailStoreContract {
  private final InMemoryMailStore store = InMemoryMailStore.builder().build();

  @Override
  protected MailStore store() {
    return store;
  }

  @Override
  protected void deliver(Message message) {
    store.deliver(message);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }
}
