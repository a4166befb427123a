import { RoomExists } from '../domain/errors.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { NewRoom, RoomRepository, RoomWithMembership } from '../domain/ports/repositories.js';
import type { Room } from '../domain/room.js';
import { findWithMemberships } from './membership-reads.js';
import { pageOf } from './paging.js';
import { type RoomRow, roomColumns, toRoom } from './room-rows.js';
import { type SqlExecutor, UNIQUE_VIOLATION, sqlErrorCode } from './sql.js';

const COLUMNS = roomColumns();

/** How membership lookups are answered: one statement each, or batched (see BatchedMembershipReader). */
type MembershipFinder = (roomId: string, userId: string) => Promise<RoomWithMembership>;

/** Rooms in PostgreSQL (real or embedded). */
export class PgRoomRepository implements RoomRepository {
  constructor(
    private readonly sql: SqlExecutor,
    private readonly findMembership: MembershipFinder = async (roomId, userId) =>
      (await findWithMemberships(sql, [{ roomId, userId }]))[0]!,
  ) {}

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

  findWithMembership(roomId: string, userId: string): Promise<RoomWithMembership> {
    return this.findMembership(roomId, userId);
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
