import type { PresenceTracker } from '../../domain/ports/presence.js';
import type { PresencePusher, Pusher } from '../../domain/ports/pusher.js';
import type { PresenceUpdate } from '../../domain/presence-update.js';
import type { RoomEvent } from '../../domain/room-event.js';
import { CommandQueue } from './command-queue.js';
import type { HubClient } from './hub-client.js';
import { eventMessage } from './outbound-message.js';
import { PresenceMessages } from './presence-messages.js';
import { type HubCounts, RoomRegistry } from './room-registry.js';
import { Subscription } from './subscription.js';

/** Running totals of the Hub's work, for metrics. */
export interface HubTotals {
  readonly eventsPushed: number;
  readonly eventsDelivered: number;
}

/** What the Hub tells presence: when a subscriber starts and stops counting in a room, and when it waits for a snapshot. */
export interface HubPresence extends Pick<PresenceTracker, 'connected' | 'disconnected'> {
  snapshotWanted(roomId: string): void;
}

const NO_PRESENCE: HubPresence = { connected: () => {}, disconnected: () => {}, snapshotWanted: () => {} };

/**
 * The one place that knows which subscriber receives which room, whatever transport carries it
 * (a WebSocket connection, a Server-Sent Events stream: each a `HubClient`). Every change and
 * every push is a command run to completion, one at a time: a command issued while another runs
 * (a client closing during a fan-out) is queued behind it, so the index is never seen
 * half-changed. Nothing here awaits: database work happens before a command is issued.
 *
 * Queries (`isSubscribed`, `counts`, ...) read the index directly rather than through a command:
 * they are synchronous and commands run to completion, so a query outside a drain always sees a
 * whole state, and one made inside a command sees the state its caller has been told of so far.
 */
export class Hub implements Pusher, PresencePusher {
  private readonly registry = new RoomRegistry();
  private readonly commands: CommandQueue;
  private eventsPushed = 0;
  private eventsDelivered = 0;

  /**
   * `reportError` hears of a command that threw; the Hub carries on with the next one.
   * `maxHeldBytes` bounds what a joining subscription may hold while its joiner catches up.
   * `presence` hears when a subscriber starts and stops counting in a room's presence.
   */
  constructor(
    private readonly reportError: (error: unknown) => void,
    private readonly maxHeldBytes = Number.POSITIVE_INFINITY,
    private readonly presence: HubPresence = NO_PRESENCE,
  ) {
    this.commands = new CommandQueue(reportError);
  }

  register(client: HubClient): void {
    this.commands.run(() => this.registry.addClient(client));
  }

  /** Safe to call more than once, and for a client never registered. */
  unregister(client: HubClient): void {
    this.commands.run(() => {
      for (const roomId of this.registry.removeClient(client)) this.presence.disconnected(roomId, client.user);
    });
  }

  /**
   * Starts (or replaces) a held subscription; `goLive` ends the holding. Presence messages follow
   * from then on unless `wantsPresence` is false. Ignored for an unregistered client.
   */
  subscribe(client: HubClient, roomId: string, types: ReadonlySet<string> | null, wantsPresence = true): void {
    this.commands.run(() =>
      this.registry.set(client, roomId, new Subscription(types, this.maxHeldBytes, wantsPresence)),
    );
  }

  /** The client's join of the room succeeded: it counts in presence from now until its subscription ends. */
  countPresent(client: HubClient, roomId: string): void {
    this.commands.run(() => {
      const subscription = this.registry.get(client, roomId);
      if (!subscription || subscription.isPresent) return;
      subscription.isPresent = true;
      this.presence.connected(roomId, client.user);
    });
  }

  /** Makes a held subscription live after `afterSeq`, sending the held events past it; its presence snapshot comes next. */
  goLive(client: HubClient, roomId: string, afterSeq: number): void {
    this.commands.run(() => {
      const subscription = this.registry.get(client, roomId);
      if (!subscription) return;
      this.eventsDelivered += subscription.goLive(client, afterSeq);
      if (subscription.awaitsSnapshot) this.presence.snapshotWanted(roomId);
    });
  }

  unsubscribe(client: HubClient, roomId: string): void {
    this.commands.run(() => this.remove(client, roomId));
  }

  setFilter(client: HubClient, roomId: string, types: ReadonlySet<string> | null): void {
    this.commands.run(() => this.registry.get(client, roomId)?.setTypes(types));
  }

  evict(roomId: string, userId: string): void {
    this.commands.run(() => {
      const subscribers = this.registry.subscribers(roomId);
      if (!subscribers) return;
      for (const client of [...subscribers.keys()]) {
        if (client.user.id !== userId) continue;
        this.remove(client, roomId);
        client.evicted(roomId);
      }
    });
  }

  push(event: RoomEvent): void {
    this.commands.run(() => {
      this.eventsPushed += 1;
      const subscribers = this.registry.subscribers(event.room);
      if (!subscribers) return;
      const message = eventMessage(event);
      for (const [client, subscription] of subscribers) {
        // One failing client must not cost the others this event.
        try {
          this.eventsDelivered += subscription.offer(client, event.seq, event.type, message);
        } catch (error) {
          this.reportError(error);
        }
      }
    });
  }

  pushPresence(update: PresenceUpdate): void {
    this.commands.run(() => {
      const subscribers = this.registry.subscribers(update.snapshot.room);
      if (!subscribers) return;
      const messages = new PresenceMessages(update);
      let isSnapshotWanted = false;
      for (const [client, subscription] of subscribers) {
        if (!subscription.offerPresence(client, messages)) isSnapshotWanted = true;
      }
      if (isSnapshotWanted) this.presence.snapshotWanted(update.snapshot.room);
    });
  }

  isSubscribed(client: HubClient, roomId: string): boolean {
    return this.registry.get(client, roomId) !== undefined;
  }

  hasSubscribers(roomId: string): boolean {
    return this.registry.subscribers(roomId) !== undefined;
  }

  subscriptionsOf(client: HubClient): number {
    return this.registry.subscriptionsOf(client);
  }

  /** One heartbeat tick for every registered client. */
  keepAliveAll(): void {
    this.commands.run(() => {
      for (const client of this.registry.clients()) client.keepAlive();
    });
  }

  /** Closes every client (shutdown); each reports its end and is unregistered then. */
  closeAll(code: number, reason: string): void {
    this.commands.run(() => {
      for (const client of this.registry.clients()) client.close(code, reason);
    });
  }

  /** Closes one client after what is queued for it; it reports its end and is unregistered then. */
  close(client: HubClient, code: number, reason: string): void {
    this.commands.run(() => client.close(code, reason));
  }

  /** The clients registered now. */
  clients(): HubClient[] {
    return [...this.registry.clients()];
  }

  counts(): HubCounts {
    return this.registry.counts();
  }

  /** Events pushed to the Hub, and event messages handed to clients, since start. */
  totals(): HubTotals {
    return { eventsPushed: this.eventsPushed, eventsDelivered: this.eventsDelivered };
  }

  /** Bytes waiting to be sent, over all clients and for the fullest one. */
  queueDepth(): { totalBytes: number; maxBytes: number } {
    return this.registry.queueDepth();
  }

  private remove(client: HubClient, roomId: string): void {
    if (this.registry.delete(client, roomId)) this.presence.disconnected(roomId, client.user);
  }
}
