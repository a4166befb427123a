import type { RoomEvent } from '../../domain/room-event.js';
import type { ErrorCode } from '../error-codes.js';
import { eventJsonText } from '../event-json.js';

/** A frame's reply id, echoed as it came. */
export type FrameId = string | number | undefined;

/** A server frame, encoded once and shared by every connection it goes to. */
export type Frame = Buffer;

/** The `event` push for a room event: `{"op":"event", ...the event as clients see it}`. */
export function encodeEvent(event: RoomEvent): Frame {
  return Buffer.from(`{"op":"event",${eventJsonText(event).slice(1)}`);
}

/** The `ok` reply to a client frame, with the op's result fields. */
export function encodeOk(id: FrameId, fields: Record<string, unknown> = {}): Frame {
  return Buffer.from(JSON.stringify({ op: 'ok', id, ...fields }));
}

/** The `error` reply to a client frame. */
export function encodeError(id: FrameId, code: ErrorCode, message: string): Frame {
  return Buffer.from(JSON.stringify({ op: 'error', id, code, message }));
}
