package dev.mailcore.testing;

import dev.mailcore.MailStore;
import dev.mailcore.MailStoreContract;
import dev.mailcore.Message;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;

/** The contract on an in-memory store without capabilities, as a POP3 mailbox has none. */
class InMemoryMailStorePop3LikeTest extends MailStoreContract {
  private final InMemoryMailStore store =
      InMemoryMailStore.builder().capabilities(Set.of()).build();

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
