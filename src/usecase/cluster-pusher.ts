import type { BrokerListener, ClusterBroker } from '../domain/ports/cluster-broker.js';
import type { PresencePusher, Pusher } from '../domain/ports/pusher.js';
import type { PresenceUpdate } from '../domain/presence-update.js';
import type { RoomEvent } from '../domain/room-event.js';
import type { SequencedDelivery } from './sequenced-delivery.js';
import { SequencedPusher } from './sequenced-pusher.js';

/**
 * The Pusher of a node in a cluster, and the broker's listener: this node's events go to its own
 * subscribers at once and to the other nodes through the broker; the other nodes' events come
 * back through the same seq-ordered delivery, so that each subscriber sees every seq once, in order.
 * Presence updates go to this node's subscribers and to the other nodes', as they come.
 */
export class ClusterPusher extends SequencedPusher implements BrokerListener {
  constructor(
    delivery: SequencedDelivery,
    hub: Pusher & PresencePusher,
    private readonly broker: ClusterBroker,
  ) {
    super(delivery, hub);
  }

  /** Starts taking in the other nodes' events and evictions. */
  start(): void {
    this.broker.listen(this);
  }

  override push(event: RoomEvent): void {
    super.push(event);
    this.broker.publishEvent(event);
  }

  override evict(roomId: string, userId: string): void {
    super.evict(roomId, userId);
    this.broker.publishEviction(roomId, userId);
  }

  override pushPresence(update: PresenceUpdate): void {
    super.pushPresence(update);
    this.broker.publishPresence(update);
  }

  // Another node's event, eviction or presence goes where this node's own go, but not back out.
  onEvent(event: RoomEvent): void {
    super.push(event);
  }

  onEviction(roomId: string, userId: string): void {
    super.evict(roomId, userId);
  }

  onPresence(update: PresenceUpdate): void {
    super.pushPresence(update);
  }

  onSubscribed(): void {
    void this.delivery.catchUpAll();
  }

  /** Stops delivery's retries and idle-room sweeps, and leaves the broker. */
  override async stop(): Promise<void> {
    await super.stop();
    this.broker.close();
  }
}
