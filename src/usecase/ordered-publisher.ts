import type { Pusher } from '../domain/ports/pusher.js';
import type { RoomEvent } from '../domain/room-event.js';

const SETTLED: Promise<unknown> = Promise.resolve();

/**
 * Stores a room's events and pushes them in seq order; rooms do not wait for each other.
 *
 * Two kinds of store:
 * - `storeAndPush` (a unit of work, such as a join): runs alone, after the room's earlier stores
 *   were pushed, since the seq it takes depends on when it commits.
 * - `appendAndPush` (an append outside a unit of work, whose seq follows call order): starts at
 *   once, back to back with the room's other appends, so the store can commit them together;
 *   only its push waits for the room's earlier pushes.
 */
export class OrderedPublisher {
  /** Per room: settles when everything issued so far is stored and pushed. */
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Per room: settles when the last `storeAndPush` is done; appends start after it. */
  private readonly barriers = new Map<string, Promise<unknown>>();

  constructor(private readonly pusher: Pusher) {}

  /** Runs `store` after the room's earlier stores and pushes; pushes the event it resolves to, if any. */
  storeAndPush<E extends RoomEvent | null>(roomId: string, store: () => Promise<E>): Promise<E> {
    const result = this.tailOf(roomId).then(async () => {
      const event = await store();
      if (event) this.pusher.push(event);
      return event;
    });
    const tail = this.setTail(roomId, result);
    this.barriers.set(roomId, tail);
    void tail.then(() => {
      if (this.barriers.get(roomId) === tail) this.barriers.delete(roomId);
    });
    return result;
  }

  /** Starts `append` at once (after a running `storeAndPush`); pushes its event after the room's earlier pushes. */
  appendAndPush(roomId: string, append: () => Promise<RoomEvent>): Promise<RoomEvent> {
    const previous = this.tailOf(roomId);
    // Settles only after the earlier pushes, failed or not, so that a later push never overtakes them.
    const result = (this.barriers.get(roomId) ?? SETTLED).then(append).then(
      async (event) => {
        await previous;
        this.pusher.push(event);
        return event;
      },
      async (error: unknown) => {
        await previous;
        throw error;
      },
    );
    this.setTail(roomId, result);
    return result;
  }

  /** Rooms with a store in progress; zero when idle (nothing is kept per room). */
  get busyRooms(): number {
    return this.tails.size;
  }

  private tailOf(roomId: string): Promise<unknown> {
    return this.tails.get(roomId) ?? SETTLED;
  }

  private setTail(roomId: string, result: Promise<unknown>): Promise<unknown> {
    const tail = result.catch(() => undefined);
    this.tails.set(roomId, tail);
    void tail.then(() => {
      if (this.tails.get(roomId) === tail) this.tails.delete(roomId);
    });
    return tail;
  }
}
