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

/**
 * `eventJson(event)` as JSON text, the same text `JSON.stringify` would write: the data goes in
 * as the publisher serialised it, when it did, rather than serialised again.
 */
export function eventJsonText(event: RoomEvent): string {
  if (event.dataJson === undefined) return JSON.stringify(eventJson(event));
  return (
    `{"room":${JSON.stringify(event.room)},"seq":${event.seq},"type":${JSON.stringify(event.type)},` +
    `"data":${event.dataJson},"sender":${JSON.stringify(event.sender)},"at":"${event.at.toISOString()}"}`
  );
}
