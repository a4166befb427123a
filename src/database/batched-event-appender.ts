import { RoomNotFound } from '../domain/errors.js';
import type { NewRoomEvent, RoomEvent } from '../domain/room-event.js';
import { type SerialisedEvent, insertEvent, insertGroups, serialiseEvent } from './event-insert-statements.js';
import type { SqlExecutor } from './sql.js';

/** Bounds one statement: at most this many events, and about this much event data (one group always fits). */
export const MAX_BATCH_EVENTS = 500;
export const MAX_BATCH_DATA_CHARS = 4_000_000;

/** Events stored together or not at all (a single append is a group of one), and who waits for them. */
interface PendingGroup {
  readonly items: readonly SerialisedEvent[];
  readonly rooms: readonly string[];
  readonly chars: number;
  resolve(events: RoomEvent[]): void;
  reject(error: unknown): void;
}

export interface BatchingOptions {
  /**
   * Before each statement, first let the event loop take in the I/O already received
   * (setImmediate, no timer). Needed on a database that runs on this thread: its statements
   * block the event loop, so no request could otherwise arrive while one is in flight.
   */
  readonly waitsForIoFirst?: boolean;
  /** Statements in flight at once, each on rooms no other one holds (default 1). */
  readonly maxConcurrentStatements?: number;
}

/**
 * Group commit for appends outside a transaction: an append goes at once when it can (no timer,
 * no added latency when idle); appends made while statements are in flight wait and then go
 * together in the next one. Statements run side by side only on rooms no other running statement
 * holds, and a room's appends go in the order `append` and `appendAll` were called for it, so a
 * room's seqs follow that order. A statement error rejects each of its appends, and the appends
 * queued behind it still go; an unknown room refuses only the append (or the whole `appendAll`
 * group) that named it.
 */
export class BatchedEventAppender {
  private queue: PendingGroup[] = [];
  /** The rooms of the statements in flight. */
  private readonly busyRooms = new Set<string>();
  private inFlight = 0;
  private isWaitingForIo = false;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly options: BatchingOptions = {},
  ) {}

  /** Stores the event with its room's next seq; rejects with `RoomNotFound` for an unknown room. */
  async append(event: NewRoomEvent): Promise<RoomEvent> {
    const [stored] = await this.appendAll([event]);
    return stored!;
  }

  /** Stores all the events, or none; rejects with `RoomNotFound` naming an unknown room. */
  appendAll(events: readonly NewRoomEvent[]): Promise<RoomEvent[]> {
    return new Promise((resolve, reject) => {
      const items = events.map(serialiseEvent);
      const rooms = [...new Set(events.map((event) => event.room))];
      const chars = items.reduce((sum, item) => sum + item.json.length, 0);
      this.queue.push({ items, rooms, chars, resolve, reject });
      this.startStatements();
    });
  }

  /** Starts as many statements as may run now. */
  private startStatements(): void {
    if (this.options.waitsForIoFirst && !this.isWaitingForIo) {
      this.isWaitingForIo = true;
      setImmediate(() => {
        this.isWaitingForIo = false;
        this.startNow();
      });
      return;
    }
    if (!this.options.waitsForIoFirst) this.startNow();
  }

  private startNow(): void {
    while (this.inFlight < (this.options.maxConcurrentStatements ?? 1)) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      const rooms = batch.flatMap((pending) => pending.rooms);
      for (const room of rooms) this.busyRooms.add(room);
      this.inFlight += 1;
      void this.store(batch).finally(() => {
        this.inFlight -= 1;
        for (const room of rooms) this.busyRooms.delete(room);
        if (this.queue.length > 0) this.startStatements();
      });
    }
  }

  private async store(batch: readonly PendingGroup[]): Promise<void> {
    try {
      const lone = batch.length === 1 && batch[0]!.items.length === 1 ? batch[0]!.items[0]! : undefined;
      // A lone event takes the simpler statement: cheaper to plan, the same result.
      if (lone) {
        batch[0]!.resolve([await insertEvent(this.sql, lone)]);
        return;
      }
      const outcomes = await insertGroups(
        this.sql,
        batch.map((pending) => pending.items),
      );
      batch.forEach((pending, index) => {
        const outcome = outcomes[index]!;
        if ('events' in outcome) pending.resolve(outcome.events);
        else pending.reject(new RoomNotFound(outcome.unknownRoom));
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  /**
   * The queued groups a statement may take now, in call order, up to the bounds of one
   * statement: none on a room a running statement holds, nor on a room of a group left behind
   * (so that no later group of a room overtakes an earlier one).
   */
  private takeBatch(): PendingGroup[] {
    const taken: PendingGroup[] = [];
    const kept: PendingGroup[] = [];
    const blocked = new Set(this.busyRooms);
    let events = 0;
    let chars = 0;
    let isFull = false;
    for (const pending of this.queue) {
      const isBlocked = pending.rooms.some((room) => blocked.has(room));
      const fits =
        taken.length === 0 ||
        (events + pending.items.length <= MAX_BATCH_EVENTS && chars + pending.chars <= MAX_BATCH_DATA_CHARS);
      if (isFull || isBlocked || !fits) {
        isFull ||= !isBlocked && !fits;
        for (const room of pending.rooms) blocked.add(room);
        kept.push(pending);
        continue;
      }
      taken.push(pending);
      events += pending.items.length;
      chars += pending.chars;
    }
    this.queue = kept;
    return taken;
  }
}
