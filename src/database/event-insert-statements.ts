import { RoomNotFound } from '../domain/errors.js';
import type { NewRoomEvent, RoomEvent } from '../domain/room-event.js';
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
 * reaches a room through a row `locked` has produced), keeps the groups whose rooms all exist,
 * adds to each room's last_seq the number of its kept events, and numbers a room's events in
 * batch order below the new last_seq. Besides the stored events (with a seq), it returns one row
 * per existing room (seq null), so that the caller can tell which groups were kept.
 */
const INSERT_GROUPS_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])
      WITH ORDINALITY AS i (room, type, data, sender, grp, ord)
  ), locked AS (
    SELECT id FROM rooms WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
  ), complete AS (
    SELECT input.grp FROM input LEFT JOIN locked ON locked.id = input.room
    GROUP BY input.grp HAVING bool_and(locked.id IS NOT NULL)
  ), kept AS (
    SELECT room, type, data, sender, row_number() OVER (PARTITION BY room ORDER BY ord) AS nth
    FROM input WHERE grp IN (SELECT grp FROM complete)
  ), wanted AS (
    SELECT room, count(*) AS n FROM kept GROUP BY room
  ), bumped AS (
    UPDATE rooms SET last_seq = rooms.last_seq + wanted.n
    FROM locked JOIN wanted ON wanted.room = locked.id
    WHERE rooms.id = locked.id
    RETURNING rooms.id, rooms.last_seq - wanted.n AS base_seq
  ), stored AS (
    INSERT INTO events (room_id, seq, type, data, sender)
    SELECT kept.room, bumped.base_seq + kept.nth, kept.type, kept.data::json, kept.sender
    FROM kept JOIN bumped ON bumped.id = kept.room
    RETURNING room_id, seq, at
  )
  SELECT room_id, seq, at FROM stored
  UNION ALL SELECT id, NULL, NULL FROM locked`;

/** Stores the event with its room's next seq; throws `RoomNotFound` when the room does not exist. */
export async function insertEvent(sql: SqlExecutor, item: SerialisedEvent): Promise<RoomEvent> {
  const { event, json } = item;
  const [row] = await sql.query<StoredRow>(INSERT_ONE_SQL, [event.room, event.type, json, event.sender]);
  if (!row) throw new RoomNotFound(event.room);
  return { ...event, seq: Number(row.seq), at: row.at };
}

/** A group's outcome: its events as stored, or the room that made it be refused whole. */
export type StoredGroup = { readonly events: RoomEvent[] } | { readonly unknownRoom: string };

/**
 * Stores groups of events in one statement: each group whole, or not at all when one of its
 * rooms does not exist. A room's events take its next seqs in the order given, across groups.
 */
export async function insertGroups(
  sql: SqlExecutor,
  groups: readonly (readonly SerialisedEvent[])[],
): Promise<StoredGroup[]> {
  const items = groups.flatMap((group, index) => group.map((item) => ({ item, group: index })));
  const rows = await sql.query<{ room_id: string; seq: string | number | null; at: Date | null }>(INSERT_GROUPS_SQL, [
    items.map(({ item }) => item.event.room),
    items.map(({ item }) => item.event.type),
    items.map(({ item }) => item.json),
    items.map(({ item }) => item.event.sender),
    items.map(({ group }) => group),
  ]);
  const existing = new Set(rows.filter((row) => row.seq === null).map((row) => row.room_id));
  // A room's seqs, ascending, belong to its kept events in the order given.
  const seqsByRoom = new Map<string, { seq: number; at: Date }[]>();
  for (const row of rows) {
    if (row.seq === null || row.at === null) continue;
    const roomRows = seqsByRoom.get(row.room_id) ?? [];
    roomRows.push({ seq: Number(row.seq), at: row.at });
    seqsByRoom.set(row.room_id, roomRows);
  }
  for (const roomRows of seqsByRoom.values()) roomRows.sort((a, b) => a.seq - b.seq);
  return groups.map((group) => {
    const unknown = group.find(({ event }) => !existing.has(event.room));
    if (unknown) return { unknownRoom: unknown.event.room };
    return {
      events: group.map(({ event }) => {
        const row = seqsByRoom.get(event.room)!.shift()!;
        return { ...event, seq: row.seq, at: row.at };
      }),
    };
  });
}

/** Stores every event in one statement, or none of them: throws `RoomNotFound` naming an unknown room. */
export async function insertAllOrNone(sql: SqlExecutor, items: readonly SerialisedEvent[]): Promise<RoomEvent[]> {
  const [stored] = (await insertGroups(sql, [items])) as [StoredGroup];
  if ('events' in stored) return stored.events;
  throw new RoomNotFound(stored.unknownRoom);
}
