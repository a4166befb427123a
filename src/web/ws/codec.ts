import type { RoomEvent } from '../../domain/room-event.js';

/** A frame's reply id, echoed as it came. */
export type FrameId = string | number | undefined;

/** A server frame, encoded once and shared by every connection it goes to. */
export type Frame = Buffer;

/** The `event` push for a room event. */
export function encodeEvent(event: RoomEvent): Frame {
  return Buffer.from(
    JSON.stringify({
      op: 'event',
      room: event.room,
      seq: event.seq,
      type: event.type,
      data: event.data,
      sender: event.sender,
      at: event.at.toISOString(),
    }),
  );
}

/** The `ok` reply to a client frame, with the op's result fields. */
export function encodeOk(id: FrameId, fields: Record<string, unknown> = {}): Frame {
  return Buffer.from(JSON.stringify({ op: 'ok', id, ...fields }));
}

/** The `error` reply to a client frame. */
export function encodeError(id: FrameId, code: string, message: string): Frame {
  return Buffer.from(JSON.stringify({ op: 'error', id, code, message }));
}
