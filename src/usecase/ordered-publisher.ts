import type { Pusher } from '../domain/ports/pusher.js';
import type { Repositories, UnitOfWork } from '../domain/ports/repositories.js';
import type { AppendedEvent, NewRoomEvent, RoomEvent } from '../domain/room-event.js';

const SETTLED: Promise<unknown> = Promise.resolve();

/**
 * Stores a room's events and pushes them in seq order; rooms do not wait for each other. The one
 * way use cases store events, in one of two modes, by what the store needs:
 * - `publish` / `publishAll`: events stored on their own. Their append starts at once, back to
 *   back with the room's other appends (the store gives them seqs in call order and may commit
 *   them together); only their push waits for the room's earlier pushes.
 * - `publishInTransaction`: a change that stores an event together with other writes (a join, a
 *   leave). It runs alone for the room, after the room's earlier stores were pushed, since the
 *   seq it takes depends on when it commits.
 */
export class OrderedPublisher {
  /** Per room: settles when everything issued so far is stored and pushed. */
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Per room: settles when the last `publishInTransaction` is done; appends start after it. */
  private readonly barriers = new Map<string, Promise<unknown>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly pusher: Pusher,
  ) {}

  /**
   * Stores the event with its room's next seq, then pushes it after the room's earlier pushes; the
   * original of a repeated idempotency key is answered, not pushed again.
   */
  publish(event: NewRoomEvent): Promise<AppendedEvent> {
    return this.appendThenPush(
      [event.room],
      () => this.uow.repos.events.append(event),
      (stored) => [stored],
    );
  }

  /** Stores events of any rooms all or none (a room's in the order given), then pushes each new one in that order. */
  publishAll(events: readonly NewRoomEvent[]): Promise<AppendedEvent[]> {
    const rooms = [...new Set(events.map((event) => event.room))];
    return this.appendThenPush(
      rooms,
      () => this.uow.repos.events.appendAll(events),
      (stored) => stored,
    );
  }

  /** Runs `work` in a unit of work, alone for the room; pushes the event it resolves to, if any. */
  publishInTransaction<E extends RoomEvent | null>(
    roomId: string,
    work: (repos: Repositories) => Promise<E>,
  ): Promise<E> {
    const result = this.tailOf(roomId).then(async () => {
      const event = await this.uow.run(work);
      if (event) this.pusher.push(event);
      return event;
    });
    keepUntilSettled(this.barriers, roomId, this.setTail(roomId, result));
    return result;
  }

  /** Rooms with a store in progress; zero when idle (nothing is kept per room). */
  get busyRooms(): number {
    return this.tails.size;
  }

  /** Appends after any running transaction of these (distinct) rooms; pushes after their earlier pushes. */
  private appendThenPush<T>(
    roomIds: readonly string[],
    append: () => Promise<T>,
    eventsOf: (stored: T) => readonly AppendedEvent[],
  ): Promise<T> {
    const previous = this.allSettled(roomIds.map((roomId) => this.tailOf(roomId)));
    const barrier = this.allSettled(roomIds.map((roomId) => this.barriers.get(roomId) ?? SETTLED));
    // Settles only after the earlier pushes, failed or not, so that a later push never overtakes them.
    const result = barrier.then(append).then(
      async (stored) => {
        await previous;
        for (const event of eventsOf(stored)) if (!event.replayed) this.pusher.push(event);
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
