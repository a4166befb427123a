import { RoomNotFound } from '../domain/errors.js';
import type { NewRoomEvent, RoomEvent } from '../domain/room-event.js';
import {
  type SerialisedEvent,
  insertAllOrNone,
  insertEvent,
  insertEvents,
  serialiseEvent,
} from './event-insert-statements.js';
import type { SqlExecutor } from './sql.js';

/** Bounds one statement: at most this many events, and about this much event data (one event always fits). */
export const MAX_BATCH_EVENTS = 500;
export const MAX_BATCH_DATA_CHARS = 4_000_000;

interface PendingAppend extends SerialisedEvent {
  readonly kind: 'one';
  resolve(event: RoomEvent): void;
  reject(error: unknown): void;
}

/** Events that must be stored together or not at all: they take a statement of their own. */
interface PendingGroup {
  readonly kind: 'group';
  readonly items: readonly SerialisedEvent[];
  resolve(events: RoomEvent[]): void;
  reject(error: unknown): void;
}

export interface BatchingOptions {
  /**
   * Before a batch that nothing is waiting for, first let the event loop take in the I/O already
   * received (setImmediate, no timer). Needed on a database that runs on this thread: its
   * statements block the event loop, so no request could otherwise arrive while one is in flight.
   */
  readonly waitsForIoFirst?: boolean;
}

/**
 * Group commit for appends outside a transaction: the first append goes at once (no timer, no
 * added latency when idle); appends made while a statement is in flight wait and then go together
 * in the next one. One statement runs at a time, so a room's seqs follow the order in which
 * `append` and `appendAll` were called for it. A batch commits whole or not at all: a statement
 * error rejects each of its appends, and the appends queued behind it still go.
 */
export class BatchedEventAppender {
  private readonly queue: (PendingAppend | PendingGroup)[] = [];
  private isFlushing = false;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly options: BatchingOptions = {},
  ) {}

  /** Stores the event with its room's next seq; rejects with `RoomNotFound` for an unknown room. */
  append(event: NewRoomEvent): Promise<RoomEvent> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'one', ...serialiseEvent(event), resolve, reject }));
  }

  /** Stores all the events in one statement, or none; rejects with `RoomNotFound` naming an unknown room. */
  appendAll(events: readonly NewRoomEvent[]): Promise<RoomEvent[]> {
    return new Promise((resolve, reject) =>
      this.enqueue({ kind: 'group', items: events.map(serialiseEvent), resolve, reject }),
    );
  }

  private enqueue(pending: PendingAppend | PendingGroup): void {
    this.queue.push(pending);
    if (this.isFlushing) return;
    this.isFlushing = true;
    if (this.options.waitsForIoFirst) setImmediate(() => void this.flush());
    else void this.flush();
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.kind === 'group') {
        this.queue.shift();
        await insertAllOrNone(this.sql, next.items).then(next.resolve, next.reject);
      } else {
        await this.storeBatch(this.takeBatch());
      }
    }
    this.isFlushing = false;
  }

  private async storeBatch(batch: readonly PendingAppend[]): Promise<void> {
    try {
      // A lone event takes the simpler statement: cheaper to plan, the same result.
      const stored =
        batch.length === 1 ? [await insertEvent(this.sql, batch[0]!)] : await insertEvents(this.sql, batch);
      batch.forEach((pending, index) => {
        const event = stored[index];
        if (event) pending.resolve(event);
        else pending.reject(new RoomNotFound(pending.event.room));
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  /** The single appends at the head of the queue, up to the bounds of one statement. */
  private takeBatch(): PendingAppend[] {
    let count = 0;
    let chars = 0;
    for (let next = this.queue[0]; next?.kind === 'one' && count < MAX_BATCH_EVENTS; next = this.queue[count]) {
      chars += next.json.length;
      if (count > 0 && chars > MAX_BATCH_DATA_CHARS) break;
      count += 1;
    }
    return this.queue.splice(0, count) as PendingAppend[];
  }
}
