package dev.mailcore;

/**
 * What happened to one recipient of one delivery attempt.
 *
 * @since 0.1
 */
public enum DeliveryStatus {
  /** The receiving server accepted responsibility for the message (2xx after the data). */
  DELIVERED,
  /** A temporary failure (4xx, time-out, network, DNS trouble): try again later. */
  DEFERRED,
  /** A permanent failure (5xx, null MX, no such domain): do not retry. */
  FAILED
}
