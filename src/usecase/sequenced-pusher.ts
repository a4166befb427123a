import type { PresencePusher, Pusher } from '../domain/ports/pusher.js';
import type { PresenceUpdate } from '../domain/presence-update.js';
import type { RoomEvent } from '../domain/room-event.js';
import type { SequencedDelivery } from './sequenced-delivery.js';

/**
 * The Pusher of a node whose rooms also take events it did not publish (stored from SQL by the
 * application, or by other nodes): its own events go through the same seq-ordered delivery, so
 * that each subscriber sees every seq once, in order. Evictions and presence need no seq order.
 */
export class SequencedPusher implements Pusher, PresencePusher {
  constructor(
    protected readonly delivery: SequencedDelivery,
    /** This node's Hub. */
    private readonly hub: Pusher & PresencePusher,
  ) {}

  push(event: RoomEvent): void {
    this.delivery.accept(event);
  }

  evict(roomId: string, userId: string): void {
    this.hub.evict(roomId, userId);
  }

  pushPresence(update: PresenceUpdate): void {
    this.hub.pushPresence(update);
  }

  /** Stops delivery's retries and idle-room sweeps. */
  async stop(): Promise<void> {
    await this.delivery.stop();
  }
}
