import type { PresenceUpdate } from '../presence-update.js';
import type { RoomEvent } from '../room-event.js';

/** What the broker hands over from the other nodes. */
export interface BrokerListener {
  onEvent(event: RoomEvent): void;
  onEviction(roomId: string, userId: string): void;
  onPresence(update: PresenceUpdate): void;
  /** (Re)subscribed: whatever the other nodes published while this node was not listening never arrived. */
  onSubscribed(): void;
}

/**
 * Carries events, evictions and presence updates between the nodes of a cluster. At most once: a message may be
 * lost (the listener is told to catch up when it resubscribes), so receivers order and complete
 * events by their stored seq. Publishing never throws; a message that cannot be sent is retried.
 */
export interface ClusterBroker {
  publishEvent(event: RoomEvent): void;
  publishEviction(roomId: string, userId: string): void;
  /** One update per room per presence window, from the node that noticed the changes. */
  publishPresence(update: PresenceUpdate): void;
  /** Hands the other nodes' messages to `listener` from now on (this node's own are left out). */
  listen(listener: BrokerListener): void;
  close(): void;
}
