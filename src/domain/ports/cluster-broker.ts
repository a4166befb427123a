import type { RoomEvent } from '../room-event.js';

/** What the broker hands over from the other nodes. */
export interface BrokerListener {
  onEvent(event: RoomEvent): void;
  onEviction(roomId: string, userId: string): void;
  /** (Re)subscribed: whatever the other nodes published while this node was not listening never arrived. */
  onSubscribed(): void;
}

/**
 * Carries events and evictions between the nodes of a cluster. At most once: a message may be
 * lost (the listener is told to catch up when it resubscribes), so receivers order and complete
 * events by their stored seq. Publishing never throws; a message that cannot be sent is retried.
 */
export interface ClusterBroker {
  publishEvent(event: RoomEvent): void;
  publishEviction(roomId: string, userId: string): void;
  /** Hands the other nodes' messages to `listener` from now on (this node's own are left out). */
  listen(listener: BrokerListener): void;
  close(): void;
}
