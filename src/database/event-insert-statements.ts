import { IdempotencyConflict, RoomNotFound } from '../domain/errors.js';
import type { AppendedEvent, NewRoomEvent, RoomEvent } from '../domain/room-event.js';
import { INSERT_GROUPS_SQL, INSERT_ONE_SQL } from './event-insert-sql.js';
import type { SqlExecutor } from './sql.js';

/** An event on its way to the database, its data already serialised. */
export interface SerialisedEvent {
  readonly event: NewRoomEvent;
  readonly json: string;
}

interface StoredRow {
  seq: string | number;
  at: Date;
}

/** The event's data as JSON text (serialised now unless its publisher did), so that a later change to it cannot reach the database; throws for a non-JSON value. */
export function serialiseEvent(event: NewRoomEvent): SerialisedEvent {
  const json: string | undefined = event.dataJson ?? JSON.stringify(event.data);
  if (json === undefined) throw new TypeError('event data is not a JSON value');
  return { event, json };
}

interface GroupRow {
  ord: string | number | null;
  seq: string | number | null;
  at: Date | null;
  /** A repeated key's original event: its type and data as JSON text, and whether this one is the same. */
  type: string | null;
  data: string | null;
  same: boolean | null;
  /** An existing room of the statement. */
  room: string | null;
}

/**
 * Stores the event with its room's next seq (or answers a repeated idempotency key with the
 * original); throws `RoomNotFound` when the room does not exist, `IdempotencyConflict` when its key
 * was used for another event. `keys`: how a key used before is found (`KeyCheck`).
 */
export async function insertEvent(
  sql: SqlExecutor,
  item: SerialisedEvent,
  keys: KeyCheck = 'looked up',
): Promise<AppendedEvent> {
  // Without a key, the simpler statement: cheaper to plan, the same result.
  if (item.event.idempotencyKey !== undefined) return (await insertAllOrNone(sql, [item], keys))[0]!;
  const { event, json } = item;
  const [row] = await sql.query<StoredRow>(INSERT_ONE_SQL, [event.room, event.type, json, event.sender]);
  if (!row) throw new RoomNotFound(event.room);
  return storedEvent(event, Number(row.seq), row.at);
}

/** A group's outcome: its events (stored, or originals of repeated keys), or why it was refused whole. */
export type StoredGroup =
  | { readonly events: AppendedEvent[] }
  | { readonly unknownRoom: string }
  | { readonly conflict: { readonly room: string; readonly key: string } };

/**
 * How a statement finds the idempotency keys used before: 'looked up' answers a repeat with its
 * original event; 'by unique violation' skips the lookups and fails the whole statement with a
 * unique violation of `idempotency_keys_pkey` instead (outside a transaction only).
 */
export type KeyCheck = 'looked up' | 'by unique violation';

/**
 * Stores groups of events in one statement: each group whole, or not at all when one of its
 * rooms does not exist or one of its keys conflicts. A room's new events take its next seqs in the
 * order given, across groups. The keys of different groups must differ (a key repeated within
 * the statement would fail it with a unique violation).
 */
export async function insertGroups(
  sql: SqlExecutor,
  groups: readonly (readonly SerialisedEvent[])[],
  keys: KeyCheck = 'looked up',
): Promise<StoredGroup[]> {
  const items = groups.flatMap((group, index) => group.map((item) => ({ item, group: index })));
  const rows = await sql.query<GroupRow>(INSERT_GROUPS_SQL, [
    items.map(({ item }) => item.event.room),
    items.map(({ item }) => item.event.type),
    items.map(({ item }) => item.json),
    items.map(({ item }) => item.event.sender),
    items.map(({ group }) => group),
    items.map(({ item }) => item.event.idempotencyKey ?? null),
    keys === 'looked up',
  ]);
  const existing = new Set<string>();
  const byOrd = new Map<number, GroupRow>();
  for (const row of rows) {
    if (row.room !== null) existing.add(row.room);
    else byOrd.set(Number(row.ord), row);
  }
  let ord = 0;
  return groups.map((group) => {
    const rowsOfGroup = group.map(() => byOrd.get((ord += 1)));
    const unknown = group.find(({ event }) => !existing.has(event.room));
    if (unknown) return { unknownRoom: unknown.event.room };
    const conflicting = group.findIndex((_, index) => rowsOfGroup[index]?.same === false);
    if (conflicting !== -1) {
      const { event } = group[conflicting]!;
      return { conflict: { room: event.room, key: event.idempotencyKey! } };
    }
    return { events: group.map(({ event }, index) => appendedEvent(event, rowsOfGroup[index]!)) };
  });
}

/** The event a statement row tells of: the one just stored, or the original of a repeated key. */
function appendedEvent(event: NewRoomEvent, row: GroupRow): AppendedEvent {
  const seq = Number(row.seq);
  if (row.same === null) return storedEvent(event, seq, row.at!);
  const original = { ...event, type: row.type!, data: JSON.parse(row.data!) as unknown, dataJson: row.data! };
  return { ...storedEvent(original, seq, row.at!), replayed: true };
}

/** The event as stored, without what only the store needed (its idempotency key). */
function storedEvent(event: NewRoomEvent, seq: number, at: Date): RoomEvent {
  const { room, type, data, dataJson, sender } = event;
  return dataJson === undefined
    ? { room, seq, type, data, sender, at }
    : { room, seq, type, data, dataJson, sender, at };
}

/** Stores every event in one statement, or none of them: throws `RoomNotFound` or `IdempotencyConflict`. */
export async function insertAllOrNone(
  sql: SqlExecutor,
  items: readonly SerialisedEvent[],
  keys: KeyCheck = 'looked up',
): Promise<AppendedEvent[]> {
  const [stored] = (await insertGroups(sql, [items], keys)) as [StoredGroup];
  if ('events' in stored) return stored.events;
  throw refusalOf(stored);
}

/** The error that refused a group. */
export function refusalOf(group: Exclude<StoredGroup, { events: unknown }>): Error {
  if ('unknownRoom' in group) return new RoomNotFound(group.unknownRoom);
  return new IdempotencyConflict(group.conflict.room, group.conflict.key);
}
