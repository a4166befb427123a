import type { DeliveryOutcome, OccupancyChange, WebhookMessage, WebhookTypes } from '../webhook.js';

/**
 * The durable outbox of webhooks, in the database. Messages are added by the store itself, in the
 * same transaction as the facts they report (a room created, a stored event of a recorded type),
 * or by the occupancy ledger; they stay until delivered or dropped, across restarts.
 */
export interface WebhookOutbox {
  /** Which types the store records from now on (undefined: none), for the whole cluster; resolves to whether that changed. */
  record(types: WebhookTypes | undefined): Promise<boolean>;
  /**
   * Claims up to `limit` messages, one attempt each, leased for `leaseMs`. Only the oldest message
   * of a room is claimed, and only once it is due, so that a room's messages are attempted one at
   * a time in order, and a message waiting for its retry holds back its own room alone. A claimed
   * message is claimed by no other caller (on any node) until its lease ends: if its node died
   * mid-attempt, it is attempted again then. The claim counts as an attempt.
   */
  claim(limit: number, leaseMs: number): Promise<WebhookMessage[]>;
  /** Removes a claimed message that was delivered or dropped. */
  remove(message: WebhookMessage): Promise<void>;
  /** Makes a claimed message due again in `delayMs`. */
  retryIn(message: WebhookMessage, delayMs: number): Promise<void>;
  /** Gives back a claim whose attempt was cut short (at shutdown): due at once, the attempt uncounted. */
  release(message: WebhookMessage): Promise<void>;
  /** Messages waiting, whichever node will send them. */
  depth(): Promise<number>;
}

/** Sends one webhook, signed, to the backend. Never throws: every failure is an outcome. */
export interface WebhookSender {
  /** `signal` cuts the attempt short (at shutdown). */
  send(message: WebhookMessage, signal: AbortSignal): Promise<DeliveryOutcome>;
}

/**
 * Each room's occupancy as last recorded, kept with the outbox: a change is recorded once, for the
 * whole cluster, with its message (room.occupied / room.vacated, when that type is recorded).
 */
export interface OccupancyLedger {
  /**
   * Compares the room's recorded occupancy with `isOccupied()` and records a change. The room's
   * record stays locked while `isOccupied` runs, so that settlements of one room, from any node,
   * run one after the other and the last one reads the latest presence. Resolves to the change
   * recorded, or null.
   */
  settle(roomId: string, isOccupied: () => Promise<boolean>): Promise<OccupancyChange | null>;
  /** The rooms recorded as occupied. */
  occupiedRooms(): Promise<string[]>;
}
