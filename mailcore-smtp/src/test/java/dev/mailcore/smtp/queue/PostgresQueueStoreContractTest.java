package dev.mailcore.smtp.queue;

import dev.mailcore.smtp.queue.jdbc.PostgresQueueStore;
import dev.mailcore.smtp.queue.jdbc.PostgresServer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The store contract against a real PostgreSQL, each test in a schema of its own. */
@ExtendWith(PostgresServer.class)
@Timeout(60)
class PostgresQueueStoreContractTest extends QueueStoreContract {
  @Override
  QueueStore open() {
    return PostgresQueueStore.builder()
        .dataSource(PostgresServer.get().dataSource("mailcore-contract"))
        .schema(PostgresServer.newSchema())
        .build();
  }
}
