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

const COLUMN_NAMES = ['id', 'name', 'capacity', 'last_seq', 'epoch', 'created_at', 'member_count'];

/** The columns a `RoomRow` is read from, qualified by `table` (an alias) when given. */
export function roomColumns(table?: string): string {
  return COLUMN_NAMES.map((column) => (table ? `${table}.${column}` : column)).join(', ');
}

export function toRoom(row: RoomRow): Room {
  return new Room(row.id, row.name, row.capacity, Number(row.last_seq), row.epoch, row.created_at, row.member_count);
}
