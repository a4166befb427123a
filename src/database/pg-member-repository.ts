import type { Member } from '../domain/member.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { MemberRepository } from '../domain/ports/repositories.js';
import { pageOf } from './paging.js';
import type { SqlExecutor } from './sql.js';

interface MemberRow {
  room_id: string;
  user_id: string;
  name: string;
  joined_at: Date;
}

const COLUMNS = 'room_id, user_id, name, joined_at';

/** Memberships in PostgreSQL (real or embedded); each statement keeps `rooms.member_count` in step. */
export class PgMemberRepository implements MemberRepository {
  constructor(private readonly sql: SqlExecutor) {}

  async find(roomId: string, userId: string): Promise<Member | null> {
    const rows = await this.sql.query<MemberRow>(`SELECT ${COLUMNS} FROM members WHERE room_id = $1 AND user_id = $2`, [
      roomId,
      userId,
    ]);
    return rows[0] ? toMember(rows[0]) : null;
  }

  async add(member: Omit<Member, 'joinedAt'>): Promise<Member> {
    const rows = await this.sql.query<MemberRow>(
      `WITH added AS (
         INSERT INTO members (room_id, user_id, name) VALUES ($1, $2, $3)
         ON CONFLICT (room_id, user_id) DO UPDATE SET name = members.name
         RETURNING ${COLUMNS}, (xmax = 0) AS inserted
       ), counted AS (
         UPDATE rooms SET member_count = member_count + 1
         WHERE id = $1 AND EXISTS (SELECT 1 FROM added WHERE inserted)
       )
       SELECT ${COLUMNS} FROM added`,
      [member.roomId, member.userId, member.name],
    );
    return toMember(rows[0]!);
  }

  async remove(roomId: string, userId: string): Promise<boolean> {
    const rows = await this.sql.query<{ user_id: string }>(
      `WITH removed AS (
         DELETE FROM members WHERE room_id = $1 AND user_id = $2 RETURNING user_id
       ), counted AS (
         UPDATE rooms SET member_count = member_count - 1
         WHERE id = $1 AND EXISTS (SELECT 1 FROM removed)
       )
       SELECT user_id FROM removed`,
      [roomId, userId],
    );
    return rows.length > 0;
  }

  async list(roomId: string, page: PageRequest): Promise<Page<Member>> {
    const rows = await this.sql.query<MemberRow>(
      `SELECT ${COLUMNS} FROM members WHERE room_id = $1 AND ($2::text IS NULL OR user_id > $2)
       ORDER BY user_id LIMIT $3`,
      [roomId, page.afterKey ?? null, page.limit + 1],
    );
    return pageOf(rows.map(toMember), page.limit, (member) => member.userId);
  }
}

function toMember(row: MemberRow): Member {
  return { roomId: row.room_id, userId: row.user_id, name: row.name, joinedAt: row.joined_at };
}
