import type { Pusher } from '../domain/ports/pusher.js';
import type { RoomEvent } from '../domain/room-event.js';

/** Delivers to this node's clients in seq order. */
export interface LocalDelivery {
  accept(event: RoomEvent): void;
}

/** Tells the other nodes. */
export interface ClusterBroadcast {
  publishEvent(event: RoomEvent): void;
  publishEviction(roomId: string, userId: string): void;
}

/** The Pusher of a node in a cluster: delivers here at once, and through the broker everywhere else. */
export class ClusterPusher implements Pusher {
  constructor(
    private readonly local: LocalDelivery,
    private readonly localHub: Pusher,
    private readonly broadcast: ClusterBroadcast,
  ) {}

  push(event: RoomEvent): void {
    this.local.accept(event);
    this.broadcast.publishEvent(event);
  }

  evict(roomId: string, userId: string): void {
    this.localHub.evict(roomId, userId);
    this.broadcast.publishEviction(roomId, userId);
  }
}
