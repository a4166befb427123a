import { setTimeout as delay } from 'node:timers/promises';
import type { RoomWithMembership } from '../domain/ports/repositories.js';
import { type RoomRow, roomColumns, toRoom } from './room-rows.js';
import type { SqlExecutor } from './sql.js';

/** One lookup: the room `roomId`, and whether `userId` is its member. */
export interface MembershipLookup {
  readonly roomId: string;
  readonly userId: string;
}

const FIND_MANY_SQL = `
  SELECT q.i, ${roomColumns('r')},
    EXISTS (SELECT 1 FROM members m WHERE m.room_id = q.room_id AND m.user_id = q.user_id) AS is_member
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(room_id, user_id, i)
  JOIN rooms r ON r.id = q.room_id`;

/** Answers the lookups, in their order, with one statement. */
export async function findWithMemberships(
  sql: SqlExecutor,
  lookups: readonly MembershipLookup[],
): Promise<RoomWithMembership[]> {
  const rows = await sql.query<RoomRow & { i: string | number; is_member: boolean }>(FIND_MANY_SQL, [
    lookups.map((lookup) => lookup.roomId),
    lookups.map((lookup) => lookup.userId),
  ]);
  const found: RoomWithMembership[] = lookups.map(() => null);
  for (const row of rows) found[Number(row.i) - 1] = { room: toRoom(row), isMember: row.is_member };
  return found;
}

/**
 * Under load, how long the next statement waits for more lookups. Measured in a storm of 5,000
 * rejoins: without it most statements answered one lookup (2,591 of 3,941), and the pg client's
 * cost per statement was the largest part of a rejoin's server CPU that ws-raw does not pay.
 */
const LINGER_UNDER_LOAD_MS = 2;

/** At most this many lookups in one statement. */
export const MAX_LOOKUPS_PER_STATEMENT = 500;

interface PendingLookup extends MembershipLookup {
  resolve(found: RoomWithMembership): void;
  reject(error: unknown): void;
}

/**
 * Batches membership lookups made outside a transaction, as the group commit batches appends:
 * the first goes at once (no timer, no added latency when idle); those made while a statement is
 * in flight go together in the next one. A reconnect storm's rejoins cost a round trip per batch
 * rather than one each. A statement that fails rejects its own lookups only.
 */
export class BatchedMembershipReader {
  private readonly queue: PendingLookup[] = [];
  private isReading = false;

  constructor(private readonly sql: SqlExecutor) {}

  find(roomId: string, userId: string): Promise<RoomWithMembership> {
    return new Promise((resolve, reject) => {
      this.queue.push({ roomId, userId, resolve, reject });
      if (!this.isReading) void this.readAll();
    });
  }

  private async readAll(): Promise<void> {
    this.isReading = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_LOOKUPS_PER_STATEMENT);
      try {
        const found = await findWithMemberships(this.sql, batch);
        batch.forEach((lookup, index) => lookup.resolve(found[index]!));
      } catch (error) {
        for (const lookup of batch) lookup.reject(error);
      }
      // Lookups came while that statement was out: joins are arriving faster than statements
      // return (a reconnect storm), so the next one waits a moment and answers more of them.
      if (this.queue.length > 0) await delay(LINGER_UNDER_LOAD_MS);
    }
    this.isReading = false;
  }
}
