package dev.mailcore.smtp.queue;

class InMemoryQueueStoreTest extends QueueStoreContract {
  @Override
  QueueStore open() {
    return new InMemoryQueueStore();
  }
}
