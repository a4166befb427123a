import type { AppendedEvent, NewRoomEvent } from '../domain/room-event.js';
import {
  type KeyCheck,
  type SerialisedEvent,
  refusalOf,
  insertEvent,
  insertGroups,
  serialiseEvent,
} from './event-insert-statements.js';
import { type SqlExecutor, UNIQUE_VIOLATION, sqlErrorCode, sqlErrorConstraint } from './sql.js';

/** Bounds one statement: at most this many events, and about this much event data (one group always fits). */
export const MAX_BATCH_EVENTS = 500;
export const MAX_BATCH_DATA_CHARS = 4_000_000;

/** Events stored together or not at all (a single append is a group of one), and who waits for them. */
interface PendingGroup {
  readonly items: readonly SerialisedEvent[];
  readonly chars: number;
  /** The group's idempotency keys, each scoped to its room and sender. */
  readonly keys: readonly string[];
  resolve(events: AppendedEvent[]): void;
  reject(error: unknown): void;
}

/**
 * A statement that met a key used before runs again, looking keys up: a key committed before it
 * began is then answered with its original; one committed meanwhile by another transaction fails
 * it again. More than this many runs means something else is wrong.
 */
const MAX_RUNS_PER_BATCH = 5;

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
 * `append` and `appendAll` were called for it. A statement error rejects each of its appends, and
 * the appends queued behind it still go; an unknown room refuses only the append (or the whole
 * `appendAll` group) that named it.
 */
export class BatchedEventAppender {
  private readonly queue: PendingGroup[] = [];
  private isFlushing = false;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly options: BatchingOptions = {},
  ) {}

  /**
   * Stores the event with its room's next seq, or answers a repeated idempotency key with the
   * original; rejects with `RoomNotFound` for an unknown room, `IdempotencyConflict` for a key
   * used for another event.
   */
  async append(event: NewRoomEvent): Promise<AppendedEvent> {
    const [stored] = await this.appendAll([event]);
    return stored!;
  }

  /** Stores all the events, or none; rejects as `append` does. The events' keys must differ. */
  appendAll(events: readonly NewRoomEvent[]): Promise<AppendedEvent[]> {
    return new Promise((resolve, reject) => {
      const items = events.map(serialiseEvent);
      const chars = items.reduce((sum, item) => sum + item.json.length, 0);
      const keys = events.flatMap((event) => (event.idempotencyKey === undefined ? [] : [scopedKey(event)]));
      this.queue.push({ items, chars, keys, resolve, reject });
      if (this.isFlushing) return;
      this.isFlushing = true;
      if (this.options.waitsForIoFirst) setImmediate(() => void this.flush());
      else void this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) await this.store(this.takeBatch());
    this.isFlushing = false;
  }

  private async store(batch: readonly PendingGroup[]): Promise<void> {
    for (let run = 1; ; run += 1) {
      try {
        // Repeats are rare: the first run finds them by the keys' unique violation, not by lookups
        // (a keyed publish then costs about as much as a keyless one: bench/README).
        await this.storeOnce(batch, run === 1 ? 'by unique violation' : 'looked up');
        return;
      } catch (error) {
        if (run < MAX_RUNS_PER_BATCH && isKeyUsedBefore(error)) continue;
        for (const pending of batch) pending.reject(error);
        return;
      }
    }
  }

  private async storeOnce(batch: readonly PendingGroup[], keys: KeyCheck): Promise<void> {
    const lone = batch.length === 1 && batch[0]!.items.length === 1 ? batch[0]!.items[0]! : undefined;
    if (lone) {
      batch[0]!.resolve([await insertEvent(this.sql, lone, keys)]);
      return;
    }
    const outcomes = await insertGroups(
      this.sql,
      batch.map((pending) => pending.items),
      keys,
    );
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if ('events' in outcome) pending.resolve(outcome.events);
      else pending.reject(refusalOf(outcome));
    });
  }

  /**
   * The groups at the head of the queue, whole, up to the bounds of one statement and up to a
   * group that repeats a key of an earlier one: that one goes next, and is answered with the event
   * the earlier one stored.
   */
  private takeBatch(): PendingGroup[] {
    let count = 0;
    let events = 0;
    let chars = 0;
    const keys = new Set<string>();
    for (const pending of this.queue) {
      events += pending.items.length;
      chars += pending.chars;
      if (count > 0 && (events > MAX_BATCH_EVENTS || chars > MAX_BATCH_DATA_CHARS)) break;
      if (pending.keys.some((key) => keys.has(key))) break;
      for (const key of pending.keys) keys.add(key);
      count += 1;
    }
    return this.queue.splice(0, count);
  }
}

/** An idempotency key with its scope, the room and the sender. */
function scopedKey(event: NewRoomEvent): string {
  return JSON.stringify([event.room, event.sender, event.idempotencyKey]);
}

/**
 * A key stored before: found by its unique violation on a statement's first run, or stored by
 * another transaction after the statement took its snapshot.
 */
function isKeyUsedBefore(error: unknown): boolean {
  return sqlErrorCode(error) === UNIQUE_VIOLATION && sqlErrorConstraint(error) === 'idempotency_keys_pkey';
}
