import type { Pusher } from '../domain/ports/pusher.js';
import type { RoomEvent } from '../domain/room-event.js';

/**
 * Stores a room's events and pushes them in seq order. The store commits a room's events in seq
 * order; running each store-then-push for a room one after the other keeps a later push from
 * overtaking an earlier one between the commit and the push. Rooms do not wait for each other.
 */
export class OrderedPublisher {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly pusher: Pusher) {}

  /** Runs `store` after the room's earlier ones; pushes the event it resolves to, if any. */
  storeAndPush<E extends RoomEvent | null>(roomId: string, store: () => Promise<E>): Promise<E> {
    const previous = this.tails.get(roomId) ?? Promise.resolve();
    const result = previous.then(async () => {
      const event = await store();
      if (event) this.pusher.push(event);
      return event;
    });
    const tail = result.catch(() => undefined);
    this.tails.set(roomId, tail);
    void tail.then(() => {
      if (this.tails.get(roomId) === tail) this.tails.delete(roomId);
    });
    return result;
  }

  /** Rooms with a store in progress; zero when idle (nothing is kept per room). */
  get busyRooms(): number {
    return this.tails.size;
  }
}
