import type { HubClient } from './hub-client.js';
import type { Subscription } from './subscription.js';

/** Counts of what the Hub holds, for tests and metrics. */
export interface HubCounts {
  readonly clients: number;
  readonly subscriptions: number;
  readonly rooms: number;
}

/** The Hub's index: room → clients and client → rooms, kept in step; an empty room is deleted at once. */
export class RoomRegistry {
  private readonly byRoom = new Map<string, Map<HubClient, Subscription>>();
  private readonly byClient = new Map<HubClient, Map<string, Subscription>>();
  private subscriptionCount = 0;

  addClient(client: HubClient): void {
    if (!this.byClient.has(client)) this.byClient.set(client, new Map());
  }

  /** Forgets the client and all its subscriptions; returns the rooms in which it was present. */
  removeClient(client: HubClient): string[] {
    const rooms = this.byClient.get(client);
    if (!rooms) return [];
    const werePresent = [...rooms.keys()].filter((roomId) => this.delete(client, roomId));
    this.byClient.delete(client);
    return werePresent;
  }

  /** Adds or replaces the client's subscription to the room; the client must be registered. */
  set(client: HubClient, roomId: string, subscription: Subscription): void {
    const rooms = this.byClient.get(client);
    if (!rooms) return;
    const replaced = rooms.get(roomId);
    if (replaced) subscription.isPresent = replaced.isPresent;
    else this.subscriptionCount += 1;
    rooms.set(roomId, subscription);
    let members = this.byRoom.get(roomId);
    if (!members) {
      members = new Map();
      this.byRoom.set(roomId, members);
    }
    members.set(client, subscription);
  }

  get(client: HubClient, roomId: string): Subscription | undefined {
    return this.byClient.get(client)?.get(roomId);
  }

  /** Deletes the subscription; returns whether the client was present in the room. */
  delete(client: HubClient, roomId: string): boolean {
    const rooms = this.byClient.get(client);
    const subscription = rooms?.get(roomId);
    if (!rooms || !subscription) return false;
    rooms.delete(roomId);
    this.subscriptionCount -= 1;
    const members = this.byRoom.get(roomId);
    members?.delete(client);
    if (members?.size === 0) this.byRoom.delete(roomId);
    return subscription.isPresent;
  }

  subscribers(roomId: string): ReadonlyMap<HubClient, Subscription> | undefined {
    return this.byRoom.get(roomId);
  }

  subscriptionsOf(client: HubClient): number {
    return this.byClient.get(client)?.size ?? 0;
  }

  clients(): IterableIterator<HubClient> {
    return this.byClient.keys();
  }

  counts(): HubCounts {
    return { clients: this.byClient.size, subscriptions: this.subscriptionCount, rooms: this.byRoom.size };
  }

  /** Bytes waiting to be sent, over all clients and for the fullest one. */
  queueDepth(): { totalBytes: number; maxBytes: number } {
    let totalBytes = 0;
    let maxBytes = 0;
    for (const client of this.byClient.keys()) {
      totalBytes += client.pendingBytes;
      maxBytes = Math.max(maxBytes, client.pendingBytes);
    }
    return { totalBytes, maxBytes };
  }
}
