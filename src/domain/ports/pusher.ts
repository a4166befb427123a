import type { PresenceUpdate } from '../presence-update.js';
import type { RoomEvent } from '../room-event.js';

/**
 * Delivers stored events to the connections subscribed to their room, live.
 *
 * Guarantee: called in seq order per room (use cases push after the store committed, and
 * the store commits a room's events in seq order), every connection subscribed to the room
 * at that moment whose type filter admits the event gets it once, in the order pushed.
 * Never throws for a delivery failure: a connection that cannot keep up is closed instead.
 */
export interface Pusher {
  push(event: RoomEvent): void;
  /** Ends every subscription of this user to this room, on all of their connections. */
  evict(roomId: string, userId: string): void;
}

/**
 * Delivers a room's presence to the connections subscribed to it that want presence: the snapshot
 * to those waiting for one, the change to the others. Presence is state, not history: a frame a
 * connection cannot take at once is dropped (a later snapshot heals it), never queued behind events.
 */
export interface PresencePusher {
  pushPresence(update: PresenceUpdate): void;
}
