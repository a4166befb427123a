import { Forbidden, InvalidRequest, PayloadTooLarge } from './errors.js';
import type { User } from './user.js';

/** One event of a room's stream; `seq` is assigned by the store, per room, from 1 without holes. */
export interface RoomEvent {
  readonly room: string;
  readonly seq: number;
  readonly type: string;
  readonly data: unknown;
  readonly sender: string;
  readonly at: Date;
  /**
   * `data` as JSON text, when its publisher has it already: stored and sent as it is, so that a
   * publish serialises its data once (checked, stored, pushed and answered with the same text).
   */
  readonly dataJson?: string;
}

/**
 * An event before the store has given it a seq and a time. With an idempotency key (scoped to the
 * room and the sender), a repeat of the same event is answered with the original, not stored again.
 */
export type NewRoomEvent = Omit<RoomEvent, 'seq' | 'at'> & { readonly idempotencyKey?: string };

/** What an append answers: the event as stored, or (`replayed`) the original of a repeated idempotency key. */
export type AppendedEvent = RoomEvent & { readonly replayed?: true };

export const MAX_EVENT_DATA_BYTES = 64 * 1024;
/** Events in one published batch at most. */
export const MAX_BATCH_ITEMS = 100;
/** Arrays and objects nested deeper than this could exhaust the stack of every JSON serialiser downstream. */
export const MAX_EVENT_DATA_DEPTH = 100;
const RESERVED_TYPE_PREFIXES = ['member.', 'presence.'];

export const MEMBER_JOINED = 'member.joined';
export const MEMBER_LEFT = 'member.left';

/** The events the server stores about a user. (`presence.` stays reserved: presence is pushed as state, not stored.) */
export type UserEventType = typeof MEMBER_JOINED | typeof MEMBER_LEFT;

/** The server's event about a user in a room: `data` is `{userId, name}`, and the user is its sender. */
export function userEvent(roomId: string, type: UserEventType, user: Pick<User, 'id' | 'name'>): NewRoomEvent {
  return { room: roomId, type, data: { userId: user.id, name: user.name }, sender: user.id };
}

/** Types the server emits itself; nobody may publish them. */
export function isReservedType(type: string): boolean {
  return RESERVED_TYPE_PREFIXES.some((prefix) => type.startsWith(prefix));
}

/** Checks what a publisher may post (no reserved type, data within the depth and size limits); returns the data as JSON text. */
export function assertPublishable(type: string, data: unknown): string {
  if (isReservedType(type)) {
    throw new Forbidden(`event type '${type}' is reserved for the server`);
  }
  // Before serialising: JSON.stringify itself overflows the stack a few thousand levels down.
  if (nestsDeeperThan(data, MAX_EVENT_DATA_DEPTH)) {
    throw new InvalidRequest(`data: nests arrays and objects more than ${MAX_EVENT_DATA_DEPTH} levels deep`);
  }
  const json: string | undefined = JSON.stringify(data);
  if (json === undefined) throw new InvalidRequest('data: is required and must be a JSON value');
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_EVENT_DATA_BYTES) {
    throw new PayloadTooLarge(`data is ${bytes} bytes; the limit is ${MAX_EVENT_DATA_BYTES}`);
  }
  return json;
}

/** True when arrays and objects nest more than `limit` levels; iterative, so any depth is safe to measure. */
function nestsDeeperThan(data: unknown, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value: data, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth });
  }
  return false;
}
