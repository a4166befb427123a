import { RoomNotFound } from '../domain/errors.js';
import type { NewRoomEvent, RoomEvent } from '../domain/room-event.js';
import type { SqlExecutor } from './sql.js';

/** An event on its way to the database, its data already serialised. */
export interface SerialisedEvent {
  readonly event: NewRoomEvent;
  readonly json: string;
}

interface StoredRow {
  room_id: string;
  seq: string | number;
  at: Date;
}

/** Serialises the event's data now, so that a later change to it cannot reach the database; throws for a non-JSON value. */
export function serialiseEvent(event: NewRoomEvent): SerialisedEvent {
  const json: string | undefined = JSON.stringify(event.data);
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
  RETURNING room_id, seq, at`;

/*
 * The same for many events in one statement. It locks the rooms in id order (so that two nodes'
 * batches cannot deadlock: the UPDATE only reaches a room through a row `locked` has produced),
 * adds to each room's last_seq the number of its events, and numbers a room's events in batch
 * order below the new last_seq. An unknown room joins no locked row: its events are not stored;
 * with $5 (all or none) true, then no event is stored.
 */
const INSERT_MANY_SQL = `
  WITH input AS (
    SELECT room, type, data, sender, row_number() OVER (PARTITION BY room ORDER BY ord) AS nth
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS i (room, type, data, sender, ord)
  ), wanted AS (
    SELECT room, count(*) AS n FROM input GROUP BY room
  ), locked AS (
    SELECT id FROM rooms WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
  ), bumped AS (
    UPDATE rooms SET last_seq = rooms.last_seq + wanted.n
    FROM locked JOIN wanted ON wanted.room = locked.id
    WHERE rooms.id = locked.id
      AND (NOT $5::boolean OR (SELECT count(*) FROM locked) = (SELECT count(*) FROM wanted))
    RETURNING rooms.id, rooms.last_seq - wanted.n AS base_seq
  )
  INSERT INTO events (room_id, seq, type, data, sender)
  SELECT input.room, bumped.base_seq + input.nth, input.type, input.data::json, input.sender
  FROM input JOIN bumped ON bumped.id = input.room
  RETURNING room_id, seq, at`;

/** Stores the event with its room's next seq; null when the room does not exist. */
export async function insertEvent(sql: SqlExecutor, item: SerialisedEvent): Promise<RoomEvent | null> {
  const { event, json } = item;
  const [row] = await sql.query<StoredRow>(INSERT_ONE_SQL, [event.room, event.type, json, event.sender]);
  return row ? { ...event, seq: Number(row.seq), at: row.at } : null;
}

/**
 * Stores the events in one statement, each room's in the order given, with the room's next seqs;
 * returns, position by position, the stored event, or null where the room does not exist (with
 * `allOrNone`, where any room does not exist: nothing is stored then).
 */
export async function insertEvents(
  sql: SqlExecutor,
  items: readonly SerialisedEvent[],
  { allOrNone = false } = {},
): Promise<(RoomEvent | null)[]> {
  const rows = await sql.query<StoredRow>(INSERT_MANY_SQL, [
    items.map((item) => item.event.room),
    items.map((item) => item.event.type),
    items.map((item) => item.json),
    items.map((item) => item.event.sender),
    allOrNone,
  ]);
  // A room's seqs, ascending, belong to its events in the order given.
  const seqsByRoom = new Map<string, StoredRow[]>();
  for (const row of rows) {
    const roomRows = seqsByRoom.get(row.room_id) ?? [];
    roomRows.push(row);
    seqsByRoom.set(row.room_id, roomRows);
  }
  for (const roomRows of seqsByRoom.values()) roomRows.sort((a, b) => Number(a.seq) - Number(b.seq));
  return items.map(({ event }) => {
    const row = seqsByRoom.get(event.room)?.shift();
    return row ? { ...event, seq: Number(row.seq), at: row.at } : null;
  });
}

/** Stores every event in one statement, or none of them: throws `RoomNotFound` naming an unknown room. */
export async function insertAllOrNone(sql: SqlExecutor, items: readonly SerialisedEvent[]): Promise<RoomEvent[]> {
  const stored = await insertEvents(sql, items, { allOrNone: true });
  if (stored.every((event) => event !== null)) return stored as RoomEvent[];
  const rooms = [...new Set(items.map((item) => item.event.room))];
  const known = await sql.query<{ id: string }>('SELECT id FROM rooms WHERE id = ANY($1::text[])', [rooms]);
  const knownIds = new Set(known.map((row) => row.id));
  throw new RoomNotFound(rooms.find((room) => !knownIds.has(room)) ?? rooms[0]!);
}
