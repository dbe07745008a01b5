/**
 * A {@link dev.mailcore.smtp.queue.QueueStore} in a database over JDBC, so several instances share
 * one mail queue: {@link dev.mailcore.smtp.queue.jdbc.PostgresQueueStore}.
 */
package dev.mailcore.smtp.queue.jdbc;
