import type { OccupancyLedger } from '../domain/ports/webhooks.js';
import { type OccupancyChange, ROOM_OCCUPIED, ROOM_VACATED, type WebhookTypes } from '../domain/webhook.js';
import type { SqlDatabase } from './sql.js';

/**
 * Rooms' occupancy in PostgreSQL (real or embedded), beside the outbox. A settlement locks the
 * room's `room_occupancy` row while it reads presence (settlements of a room, from any node, queue
 * there); a change also takes the room's own row lock before its message goes in the outbox, so
 * that the message takes its place among the room's stored events in commit order.
 */
export class PgOccupancyLedger implements OccupancyLedger {
  constructor(
    private readonly db: SqlDatabase,
    private readonly recorded: WebhookTypes,
  ) {}

  settle(roomId: string, isOccupied: () => Promise<boolean>): Promise<OccupancyChange | null> {
    return this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO room_occupancy (room_id) VALUES ($1) ON CONFLICT (room_id) DO NOTHING', [roomId]);
      const [row] = await tx.query<{ is_occupied: boolean }>(
        'SELECT is_occupied FROM room_occupancy WHERE room_id = $1 FOR UPDATE',
        [roomId],
      );
      const occupied = await isOccupied();
      if (!row || row.is_occupied === occupied) return null;
      // The room's own row lock orders the message with the room's events: it follows the last one stored.
      const [locked] = await tx.query<{ last_seq: string | number }>(
        'SELECT last_seq FROM rooms WHERE id = $1 FOR NO KEY UPDATE',
        [roomId],
      );
      await tx.query('UPDATE room_occupancy SET is_occupied = $2 WHERE room_id = $1', [roomId, occupied]);
      const change = occupied ? ROOM_OCCUPIED : ROOM_VACATED;
      if (this.recorded.includes(change)) {
        await tx.query('INSERT INTO webhook_outbox (room_id, seq, type, is_event) VALUES ($1, $2, $3, false)', [
          roomId,
          locked!.last_seq,
          change,
        ]);
      }
      return change;
    });
  }

  async occupiedRooms(): Promise<string[]> {
    const rows = await this.db.query<{ room_id: string }>(
      'SELECT room_id FROM room_occupancy WHERE is_occupied ORDER BY room_id',
    );
    return rows.map((row) => row.room_id);
  }
}
