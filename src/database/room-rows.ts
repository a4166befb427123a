import { Room } from '../domain/room.js';

/** A `rooms` row as the driver returns it. */
export interface RoomRow {
  id: string;
  name: string;
  capacity: number;
  last_seq: string | number;
  epoch: string;
  created_at: Date;
  member_count: number;
}

export const ROOM_COLUMNS = 'id, name, capacity, last_seq, epoch, created_at, member_count';

export function toRoom(row: RoomRow): Room {
  return new Room(row.id, row.name, row.capacity, Number(row.last_seq), row.epoch, row.created_at, row.member_count);
}
