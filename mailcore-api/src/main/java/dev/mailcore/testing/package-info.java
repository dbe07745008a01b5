/**
 * Fakes for testing code that uses mailcore, shipped with the API so that applications need no
 * mail server in their unit tests: {@link dev.mailcore.testing.FakeMailSender} records sends and
 * answers with scripted outcomes, {@link dev.mailcore.testing.InMemoryMailStore} is a mailbox
 * with folders, flags, search, sync states and watches, and {@link
 * dev.mailcore.testing.ManualClock} with {@link dev.mailcore.testing.ManualScheduler} lets time
 * pass without sleeping. None of them depends on a test framework.
 *
 * @since 0.1
 */
package dev.mailcore.testing;
