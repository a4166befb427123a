import { RoomExists } from '../domain/errors.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { NewRoom, RoomRepository } from '../domain/ports/repositories.js';
import { Room } from '../domain/room.js';
import { pageOf } from './paging.js';
import { type SqlExecutor, UNIQUE_VIOLATION, sqlErrorCode } from './sql.js';

interface RoomRow {
  id: string;
  name: string;
  capacity: number;
  last_seq: string | number;
  epoch: string;
  created_at: Date;
  member_count: number;
}

const COLUMNS = 'id, name, capacity, last_seq, epoch, created_at, member_count';

/** Rooms in PostgreSQL (real or embedded). */
export class PgRoomRepository implements RoomRepository {
  constructor(private readonly sql: SqlExecutor) {}

  async create(room: NewRoom): Promise<Room> {
    try {
      const rows = await this.sql.query<RoomRow>(
        `INSERT INTO rooms (id, name, capacity, epoch) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [room.id, room.name, room.capacity, room.epoch],
      );
      return toRoom(rows[0]!);
    } catch (error) {
      if (sqlErrorCode(error) === UNIQUE_VIOLATION) throw new RoomExists(room.id);
      throw error;
    }
  }

  async find(roomId: string): Promise<Room | null> {
    const rows = await this.sql.query<RoomRow>(`SELECT ${COLUMNS} FROM rooms WHERE id = $1`, [roomId]);
    return rows[0] ? toRoom(rows[0]) : null;
  }

  async findWithMembership(roomId: string, userId: string): Promise<{ room: Room; isMember: boolean } | null> {
    const rows = await this.sql.query<RoomRow & { is_member: boolean }>(
      `SELECT ${COLUMNS}, EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND user_id = $2) AS is_member
       FROM rooms WHERE id = $1`,
      [roomId, userId],
    );
    return rows[0] ? { room: toRoom(rows[0]), isMember: rows[0].is_member } : null;
  }

  async findForUpdate(roomId: string): Promise<Room | null> {
    const rows = await this.sql.query<RoomRow>(`SELECT ${COLUMNS} FROM rooms WHERE id = $1 FOR UPDATE`, [roomId]);
    return rows[0] ? toRoom(rows[0]) : null;
  }

  async list(page: PageRequest): Promise<Page<Room>> {
    const rows = await this.sql.query<RoomRow>(
      `SELECT ${COLUMNS} FROM rooms WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [page.afterKey ?? null, page.limit + 1],
    );
    return pageOf(rows.map(toRoom), page.limit, (room) => room.id);
  }
}

function toRoom(row: RoomRow): Room {
  return new Room(row.id, row.name, row.capacity, Number(row.last_seq), row.epoch, row.created_at, row.member_count);
}
