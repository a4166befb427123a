import { Forbidden, InvalidRequest, PayloadTooLarge } from './errors.js';

/** One event of a room's stream; `seq` is assigned by the store, per room, from 1 without holes. */
export interface RoomEvent {
  readonly room: string;
  readonly seq: number;
  readonly type: string;
  readonly data: unknown;
  readonly sender: string;
  readonly at: Date;
}

/** An event before the store has given it a seq and a time. */
export type NewRoomEvent = Omit<RoomEvent, 'seq' | 'at'>;

export const MAX_EVENT_DATA_BYTES = 64 * 1024;
const RESERVED_TYPE_PREFIXES = ['member.', 'presence.'];

export const MEMBER_JOINED = 'member.joined';
export const MEMBER_LEFT = 'member.left';

/** Types the server emits itself; nobody may publish them. */
export function isReservedType(type: string): boolean {
  return RESERVED_TYPE_PREFIXES.some((prefix) => type.startsWith(prefix));
}

/** Checks what a publisher may post: no reserved type, data within the size limit. */
export function assertPublishable(type: string, data: unknown): void {
  if (isReservedType(type)) {
    throw new Forbidden(`event type '${type}' is reserved for the server`);
  }
  const json: string | undefined = JSON.stringify(data);
  if (json === undefined) throw new InvalidRequest('data: is required and must be a JSON value');
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_EVENT_DATA_BYTES) {
    throw new PayloadTooLarge(`data is ${bytes} bytes; the limit is ${MAX_EVENT_DATA_BYTES}`);
  }
}
