import type { RoomEvent } from '../domain/room-event.js';

/** An event as clients see it, over REST and in the WebSocket `event` push alike. */
export function eventJson(event: RoomEvent) {
  return {
    room: event.room,
    seq: event.seq,
    type: event.type,
    data: event.data,
    sender: event.sender,
    at: event.at.toISOString(),
  };
}
