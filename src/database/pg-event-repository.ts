import { RoomNotFound } from '../domain/errors.js';
import type { EventRepository, EventWindow, RetentionPolicy } from '../domain/ports/repositories.js';
import type { AppendedEvent, NewRoomEvent, RoomEvent } from '../domain/room-event.js';
import { insertAllOrNone, insertEvent, serialiseEvent } from './event-insert-statements.js';
import type { SqlExecutor } from './sql.js';

interface EventRow {
  room_id: string;
  seq: string | number;
  type: string;
  data: unknown;
  sender: string;
  at: Date;
}

const COLUMNS = 'room_id, seq, type, data, sender, at';

/** Room events in PostgreSQL (real or embedded), each append its own statement: for use inside a transaction. */
export class PgEventRepository implements EventRepository {
  constructor(private readonly sql: SqlExecutor) {}

  append(event: NewRoomEvent): Promise<AppendedEvent> {
    return insertEvent(this.sql, serialiseEvent(event));
  }

  appendAll(events: readonly NewRoomEvent[]): Promise<AppendedEvent[]> {
    return insertAllOrNone(this.sql, events.map(serialiseEvent));
  }

  async listAfter(roomId: string, afterSeq: number, limit: number): Promise<EventWindow> {
    const rows = await this.sql.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE room_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [roomId, afterSeq, limit],
    );
    const bounds = await this.sql.query<{ first_seq: string | number }>(
      `SELECT COALESCE((SELECT min(seq) FROM events WHERE room_id = $1), last_seq + 1) AS first_seq
       FROM rooms WHERE id = $1`,
      [roomId],
    );
    const firstSeq = bounds[0];
    if (!firstSeq) throw new RoomNotFound(roomId);
    return { items: rows.map(toEvent), firstSeq: Number(firstSeq.first_seq) };
  }

  async trim(policy: RetentionPolicy): Promise<number> {
    let deleted = 0;
    if (policy.maxEventsPerRoom !== undefined) {
      // Only a prefix of each room's seqs is ever deleted, so what remains stays gap-free.
      deleted += await this.countDeleted(
        `DELETE FROM events e USING rooms r WHERE e.room_id = r.id AND e.seq <= r.last_seq - $1`,
        policy.maxEventsPerRoom,
      );
    }
    if (policy.maxAgeSeconds !== undefined) {
      // Deletes up to the newest expired seq of each room, so that a slightly out-of-order `at`
      // never leaves a hole behind.
      deleted += await this.countDeleted(
        `DELETE FROM events e USING (
           SELECT room_id, max(seq) AS upto FROM events
           WHERE at < now() - make_interval(secs => $1) GROUP BY room_id
         ) x
         WHERE e.room_id = x.room_id AND e.seq <= x.upto`,
        policy.maxAgeSeconds,
      );
    }
    return deleted;
  }

  forgetKeys(ttlSeconds: number): Promise<number> {
    return this.countDeleted('DELETE FROM idempotency_keys WHERE at < now() - make_interval(secs => $1)', ttlSeconds);
  }

  /** Runs a DELETE with one parameter; resolves to how many rows it deleted. */
  private async countDeleted(deleteSql: string, param: number): Promise<number> {
    const rows = await this.sql.query<{ count: string | number }>(
      `WITH gone AS (${deleteSql} RETURNING 1) SELECT count(*) AS count FROM gone`,
      [param],
    );
    return Number(rows[0]?.count ?? 0);
  }
}

function toEvent(row: EventRow): RoomEvent {
  return { room: row.room_id, seq: Number(row.seq), type: row.type, data: row.data, sender: row.sender, at: row.at };
}
