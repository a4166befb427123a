import { IdempotencyConflict, RoomNotFound } from '../domain/errors.js';
import type { AppendedEvent, NewRoomEvent, RoomEvent } from '../domain/room-event.js';
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

/*
 * One statement: the row lock taken by the UPDATE orders concurrent appends to a room, and the
 * seq is only spent when the insert commits with it, so seqs have no holes and no duplicates.
 */
const INSERT_ONE_SQL = `
  WITH next AS (UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
  INSERT INTO events (room_id, seq, type, data, sender)
  SELECT $1, last_seq, $2, $3::json, $4 FROM next
  RETURNING seq, at`;

/*
 * The same for many events in one statement, in groups that are each stored whole or not at all.
 * It locks the rooms in id order (so that two nodes' batches cannot deadlock: the UPDATE only
 * reaches a room through a row `locked` has produced), keeps the groups whose rooms all exist and
 * whose idempotency keys conflict with none used before, adds to each room's last_seq the number
 * of its new events, and numbers a room's new events in batch order below the new last_seq. An
 * event whose key was used before for the same type and data is not stored: the original is
 * returned instead. A key used concurrently by another transaction, committed after this
 * statement's snapshot, fails the key's insert (unique violation): the caller runs it again.
 * With $7 false, keys are not looked up, so that any key used before fails the statement the
 * same way (cheaper when repeats are rare, and the caller runs it again looking them up).
 * Rows: one per new event (its seq), one per repeated key (the original), and one per existing
 * room (`room` set), so that the caller can tell which groups were kept.
 */
const INSERT_GROUPS_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[])
      WITH ORDINALITY AS i (room, type, data, sender, grp, key, ord)
  ), locked AS (
    SELECT id FROM rooms WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
  ), prior AS (
    -- A lookup per keyed item (LIMIT 1 keeps it one: the planner, misjudging the keys table's
    -- size, would otherwise read the whole table into a hash join on every statement).
    SELECT input.ord, input.grp, k.seq, k.at, k.type, k.data::text AS data,
      k.type = input.type AND k.data::jsonb = input.data::jsonb AS same
    FROM input CROSS JOIN LATERAL (
      SELECT seq, at, type, data FROM idempotency_keys
      WHERE room_id = input.room AND sender = input.sender AND key = input.key LIMIT 1
    ) k
    WHERE input.key IS NOT NULL AND $7::boolean
  ), complete AS (
    SELECT input.grp FROM input LEFT JOIN locked ON locked.id = input.room
    GROUP BY input.grp HAVING bool_and(locked.id IS NOT NULL)
    EXCEPT SELECT grp FROM prior WHERE NOT same
  ), kept AS (
    SELECT ord, room, type, data, sender, key, row_number() OVER (PARTITION BY room ORDER BY ord) AS nth
    FROM input WHERE grp IN (SELECT grp FROM complete) AND ord NOT IN (SELECT ord FROM prior)
  ), wanted AS (
    SELECT room, count(*) AS n FROM kept GROUP BY room
  ), bumped AS (
    UPDATE rooms SET last_seq = rooms.last_seq + wanted.n
    FROM locked JOIN wanted ON wanted.room = locked.id
    WHERE rooms.id = locked.id
    RETURNING rooms.id, rooms.last_seq - wanted.n AS base_seq
  ), numbered AS (
    SELECT kept.*, bumped.base_seq + kept.nth AS seq FROM kept JOIN bumped ON bumped.id = kept.room
  ), stored AS (
    INSERT INTO events (room_id, seq, type, data, sender)
    SELECT room, seq, type, data::json, sender FROM numbered
  ), keyed AS (
    INSERT INTO idempotency_keys (room_id, sender, key, seq, type, data)
    SELECT room, sender, key, seq, type, data::json FROM numbered WHERE key IS NOT NULL
  )
  SELECT ord, seq, now() AS at, NULL AS type, NULL AS data, NULL::boolean AS same, NULL AS room FROM numbered
  UNION ALL SELECT ord, seq, at, type, data, same, NULL FROM prior
  UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, id FROM locked`;

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
