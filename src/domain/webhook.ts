import type { RoomEvent } from './room-event.js';

/**
 * The messages about a room's occupancy, which the server makes itself (room.created is another,
 * written by the database with the room). A stored event published under one of the three names
 * is never sent, so that no publisher can forge them (see the outbox's schema).
 */
export const ROOM_OCCUPIED = 'room.occupied';
export const ROOM_VACATED = 'room.vacated';

/** A room's occupancy changed: its first live subscriber on any node arrived, or its last one went away. */
export type OccupancyChange = typeof ROOM_OCCUPIED | typeof ROOM_VACATED;

/** One webhook waiting in the outbox, as a delivery attempt sees it. */
export interface WebhookMessage {
  /** Its row in the outbox. */
  readonly position: number;
  /** The `webhook-id`: unique, the same on every attempt. */
  readonly id: string;
  readonly room: string;
  readonly type: string;
  /** When the fact happened (the body's `timestamp`). */
  readonly occurredAt: Date;
  /** The stored event it reports (member.joined, member.left, and the types WEBHOOK_EVENTS names). */
  readonly event?: RoomEvent;
  /** What a room message says besides the room (room.created: its name and capacity). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Attempts made so far, this one included. */
  readonly attempts: number;
}

/** How one attempt went: delivered (2xx), worth retrying (network error, timeout, 429, 5xx, any other answer), or refused for good (4xx but 429). */
export type DeliveryOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly status: number };

/** Why a message was given up: refused for good (a 4xx other than 429), or its last attempt failed. */
export type DropCause = 'rejected' | 'attempts';

/** One entry of WEBHOOK_EVENTS: an exact type, or a prefix (`member.*`; `*` alone is every type). */
export type WebhookTypePattern = { readonly exact: string } | { readonly prefix: string };

/** Which message types are sent, from WEBHOOK_EVENTS (comma-separated types, a trailing `*` matching a prefix). */
export class WebhookTypes {
  constructor(readonly patterns: readonly WebhookTypePattern[]) {}

  /** Parses `room.*,member.*,chat.message`; throws a one-line message for an entry that is not a type or a prefix. */
  static parse(list: string): WebhookTypes {
    const entries = list.split(',').map((entry) => entry.trim());
    return new WebhookTypes(
      entries.map((entry) => {
        if (!TYPE_OR_PREFIX.test(entry)) {
          throw new Error(`'${entry}' is not an event type, or a prefix ending in *`);
        }
        return entry.endsWith('*') ? { prefix: entry.slice(0, -1) } : { exact: entry };
      }),
    );
  }

  /** The list as WEBHOOK_EVENTS spells it. */
  toString(): string {
    return this.patterns.map((pattern) => ('exact' in pattern ? pattern.exact : `${pattern.prefix}*`)).join(',');
  }

  includes(type: string): boolean {
    return this.patterns.some((pattern) =>
      'exact' in pattern ? pattern.exact === type : type.startsWith(pattern.prefix),
    );
  }
}

const TYPE_OR_PREFIX = /^(\*|[a-z][a-z0-9_.-]{0,63}\*?)$/;
