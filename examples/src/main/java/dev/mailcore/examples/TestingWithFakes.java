package dev.mailcore.examples;

import dev.mailcore.DeliveryStatus;
import dev.mailcore.Folder;
import dev.mailcore.MailSender;
import dev.mailcore.MailStore;
import dev.mailcore.Message;
import dev.mailcore.SendResult;
import dev.mailcore.ServerReply;
import dev.mailcore.StoredMessage;
import dev.mailcore.SyncResult;
import dev.mailcore.SyncState;
import dev.mailcore.testing.FakeMailSender;
import dev.mailcore.testing.InMemoryMailStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Testing an application's own mail code with the fakes of {@code dev.mailcore.testing}: no server,
 * no network, no sleeping.
 */
public final class TestingWithFakes {
  private TestingWithFakes() {}

  /** Application code under test: sends a welcome mail and reports who could not be reached. */
  static final class WelcomeMailer {
    private final MailSender sender;

    WelcomeMailer(MailSender sender) {
      this.sender = sender;
    }

    List<String> welcome(String... addresses) {
      List<String> unreachable = new ArrayList<>();
      for (String address : addresses) {
        SendResult result =
            sender.send(
                Message.builder()
                    .from("shop@shop.example")
                    .to(address)
                    .subject("Welcome")
                    .text("Glad to have you.")
                    .build());
        result.withStatus(DeliveryStatus.FAILED).forEach(r -> unreachable.add(r.recipient().address()));
      }
      return unreachable;
    }
  }

  /** Application code under test: counts new mail since the last run. */
  static final class InboxCounter {
    private SyncState state = SyncState.initial();

    int countNew(MailStore store) {
      try (Folder inbox = store.inbox()) {
        SyncResult result = inbox.fetchNew(state);
        state = result.next();
        return result.messages().size();
      }
    }
  }

  /** Runs both checks and prints what a test would assert. */
  public static void main(String[] args) {
    FakeMailSender sender =
        new FakeMailSender().failing("gone@example.org", ServerReply.of(550, "5.1.1 No such user"));
    List<String> unreachable = new WelcomeMailer(sender).welcome("bob@example.org", "gone@example.org");
    System.out.println("sent: " + sender.sent().size() + ", to bob: " + sender.sentTo("bob@example.org").size());
    System.out.println("unreachable: " + unreachable);

    try (InMemoryMailStore store = InMemoryMailStore.builder().build()) {
      InboxCounter counter = new InboxCounter();
      store.deliver(Message.builder().from("a@x.example").to("me@shop.example").subject("1").text("one").build());
      store.deliver(Message.builder().from("b@y.example").to("me@shop.example").subject("2").text("two").build());
      System.out.println("first run, new: " + counter.countNew(store));
      System.out.println("second run, new: " + counter.countNew(store));
      try (Folder inbox = store.inbox()) {
        inbox.list().map(StoredMessage::subject).forEach(s -> System.out.println("listed: " + s.orElse("")));
      }
    }
  }
}
