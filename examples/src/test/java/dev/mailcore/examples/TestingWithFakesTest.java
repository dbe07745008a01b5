package dev.mailcore.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.Message;
import dev.mailcore.ServerReply;
import dev.mailcore.testing.FakeMailSender;
import dev.mailcore.testing.InMemoryMailStore;
import org.junit.jupiter.api.Test;

class TestingWithFakesTest {

  @Test
  void welcomeMailerReportsRefusedRecipients() {
    FakeMailSender sender =
        new FakeMailSender().failing("gone@example.org", ServerReply.of(550, "5.1.1 No such user"));

    var unreachable =
        new TestingWithFakes.WelcomeMailer(sender).welcome("bob@example.org", "gone@example.org");

    assertThat(unreachable).containsExactly("gone@example.org");
    assertThat(sender.sentTo("bob@example.org")).hasSize(1);
    assertThat(sender.sentTo("gone@example.org")).isEmpty();
  }

  @Test
  void inboxCounterSeesOnlyNewMail() {
    try (InMemoryMailStore store = InMemoryMailStore.builder().build()) {
      var counter = new TestingWithFakes.InboxCounter();
      store.deliver(Message.builder().from("a@x.example").to("me@shop.example").text("1").build());

      assertThat(counter.countNew(store)).isEqualTo(1);
      assertThat(counter.countNew(store)).isZero();

      store.deliver(Message.builder().from("a@x.example").to("me@shop.example").text("2").build());
      assertThat(counter.countNew(store)).isEqualTo(1);
    }
  }
}
