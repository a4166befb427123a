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
    keepUntilSettled(this.barriers, roomId, this.setTail(roomId, result));
    return result;
  }

  /** Starts `append` at once (after a running `storeAndPush`); pushes its event after the room's earlier pushes. */
  appendAndPush(roomId: string, append: () => Promise<RoomEvent>): Promise<RoomEvent> {
    return this.appendThenPush([roomId], append, (event) => [event]);
  }

  /**
   * `appendAndPush` for events of several rooms stored together: `append` starts after any
   * running `storeAndPush` of these (distinct) rooms, and its events are pushed, in the order
   * it returns them, after every earlier push of these rooms.
   */
  appendAllAndPush(roomIds: readonly string[], append: () => Promise<RoomEvent[]>): Promise<RoomEvent[]> {
    return this.appendThenPush(roomIds, append, (events) => events);
  }

  private appendThenPush<T>(
    roomIds: readonly string[],
    append: () => Promise<T>,
    eventsOf: (stored: T) => readonly RoomEvent[],
  ): Promise<T> {
    const previous = this.allSettled(roomIds.map((roomId) => this.tailOf(roomId)));
    const barrier = this.allSettled(roomIds.map((roomId) => this.barriers.get(roomId) ?? SETTLED));
    // Settles only after the earlier pushes, failed or not, so that a later push never overtakes them.
    const result = barrier.then(append).then(
      async (stored) => {
        await previous;
        for (const event of eventsOf(stored)) this.pusher.push(event);
        return stored;
      },
      async (error: unknown) => {
        await previous;
        throw error;
      },
    );
    for (const roomId of roomIds) this.setTail(roomId, result);
    return result;
  }

  /** Rooms with a store in progress; zero when idle (nothing is kept per room). */
  get busyRooms(): number {
    return this.tails.size;
  }

  /** Tails and barriers never reject; one room (the common case) needs no `Promise.all`. */
  private allSettled(promises: readonly Promise<unknown>[]): Promise<unknown> {
    return promises.length === 1 ? promises[0]! : Promise.all(promises);
  }

  private tailOf(roomId: string): Promise<unknown> {
    return this.tails.get(roomId) ?? SETTLED;
  }

  private setTail(roomId: string, result: Promise<unknown>): Promise<unknown> {
    const tail = result.catch(() => undefined);
    keepUntilSettled(this.tails, roomId, tail);
    return tail;
  }
}

/** Holds `settling` as the room's entry until it settles, unless a later one took its place. */
function keepUntilSettled(entries: Map<string, Promise<unknown>>, roomId: string, settling: Promise<unknown>): void {
  entries.set(roomId, settling);
  void settling.then(() => {
    if (entries.get(roomId) === settling) entries.delete(roomId);
  });
}
