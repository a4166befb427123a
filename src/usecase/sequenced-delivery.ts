import type { Pusher } from '../domain/ports/pusher.js';
import type { UnitOfWork } from '../domain/ports/repositories.js';
import type { RoomFeed } from '../domain/ports/room-feed.js';
import type { RoomEvent } from '../domain/room-event.js';
import { PeriodicTask } from './periodic-task.js';

/** One followed room: how far this node has delivered it, and what waits while it catches up. */
interface Cursor {
  /** The highest seq handed to the local pusher. */
  last: number;
  /** The store is known to hold events up to here; delivery catches up to it. */
  target: number;
  /** Events that arrived while the cursor was busy (reading its start or filling a gap); undefined when idle. */
  backlog: RoomEvent[] | undefined;
  readonly ready: Promise<void>;
}

export interface SequencedDeliveryOptions {
  readonly pageSize?: number;
  /** How long to wait before reading the store again after a failed read. */
  readonly retryDelayMs?: number;
  readonly reportError: (error: unknown, roomId: string) => void;
  /** Every `intervalMs`, idle rooms that `isWanted` says nobody here receives any more are forgotten. */
  readonly forgetIdleRooms?: { readonly intervalMs: number; readonly isWanted: (roomId: string) => boolean };
}

/**
 * Hands each followed room's events to this node's pusher in seq order, each once, in whatever
 * order and however often they arrive (from this node or from others through a broker). An
 * event past a gap waits while the gap is read from the store; the store holds every seq below
 * any event that exists, since seqs are taken in commit order.
 */
export class SequencedDelivery implements RoomFeed {
  private readonly cursors = new Map<string, Cursor>();
  private readonly pageSize: number;
  private readonly retryDelayMs: number;
  private readonly forgetter: PeriodicTask | undefined;
  private isStopped = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly local: Pusher,
    private readonly options: SequencedDeliveryOptions,
  ) {
    this.pageSize = options.pageSize ?? 500;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    const forgetIdle = options.forgetIdleRooms;
    if (forgetIdle) {
      this.forgetter = new PeriodicTask(forgetIdle.intervalMs, async () => this.forget(forgetIdle.isWanted));
    }
  }

  follow(roomId: string): Promise<void> {
    const existing = this.cursors.get(roomId);
    if (existing) return existing.ready;
    const cursor: Cursor = { last: 0, target: 0, backlog: [], ready: this.start(roomId) };
    this.cursors.set(roomId, cursor);
    return cursor.ready;
  }

  /** Takes in an event of any room; ignored unless the room is followed. */
  accept(event: RoomEvent): void {
    const cursor = this.cursors.get(event.room);
    if (!cursor) return;
    if (cursor.backlog) {
      cursor.backlog.push(event);
    } else if (event.seq === cursor.last + 1) {
      this.deliver(cursor, event);
    } else if (event.seq > cursor.last) {
      cursor.backlog = [event];
      void this.catchUp(event.room, cursor);
    }
  }

  /** Reads where every followed room stands and delivers what this node missed (after a broker outage). */
  async catchUpAll(): Promise<void> {
    await Promise.all(
      [...this.cursors].map(async ([roomId, cursor]) => {
        try {
          const room = await this.uow.repos.rooms.find(roomId);
          if (room) await this.advance(roomId, cursor, room.lastSeq);
        } catch (error) {
          this.options.reportError(error, roomId);
        }
      }),
    );
  }

  /** The store holds the room's events up to `seq` (stored by another process): delivers those this node lacks. */
  storedUpTo(roomId: string, seq: number): void {
    const cursor = this.cursors.get(roomId);
    if (cursor) void this.advance(roomId, cursor, seq);
  }

  /** Stops following idle rooms nobody here wants any more. */
  forget(isWanted: (roomId: string) => boolean): void {
    for (const [roomId, cursor] of this.cursors) {
      if (!cursor.backlog && !isWanted(roomId)) this.cursors.delete(roomId);
    }
  }

  /** Rooms followed now. */
  get followedRooms(): number {
    return this.cursors.size;
  }

  /** Ends retries under way and the idle-room sweeps; events accepted afterwards are still delivered when in order. */
  async stop(): Promise<void> {
    this.isStopped = true;
    await this.forgetter?.stop();
  }

  private async start(roomId: string): Promise<void> {
    const room = await this.uow.repos.rooms.find(roomId).catch((error: unknown) => {
      this.cursors.delete(roomId);
      throw error;
    });
    const cursor = this.cursors.get(roomId)!;
    // A room created after this read starts from seq 0; one that never appears is forgotten when idle.
    cursor.last = room?.lastSeq ?? 0;
    await this.catchUp(roomId, cursor);
  }

  /** Raises the cursor's target to `seq`, and catches up unless a catch-up is under way (it will reach the target). */
  private async advance(roomId: string, cursor: Cursor, seq: number): Promise<void> {
    if (seq <= cursor.last) return;
    cursor.target = Math.max(cursor.target, seq);
    if (cursor.backlog) return;
    cursor.backlog = [];
    await this.catchUp(roomId, cursor);
  }

  /** Delivers the backlog in seq order, reading from the store whatever is missing before it. */
  private async catchUp(roomId: string, cursor: Cursor): Promise<void> {
    const backlog = cursor.backlog!;
    for (;;) {
      backlog.sort((a, b) => a.seq - b.seq);
      while (backlog.length > 0 && backlog[0]!.seq <= cursor.last + 1) {
        const event = backlog.shift()!;
        if (event.seq === cursor.last + 1) this.deliver(cursor, event);
      }
      const wanted = Math.max(cursor.target, backlog.length > 0 ? backlog[0]!.seq - 1 : 0);
      if (wanted <= cursor.last || this.isStopped) break;
      await this.readUpTo(roomId, cursor, wanted);
    }
    cursor.backlog = undefined;
  }

  /** Delivers stored events after `cursor.last` up to `wanted`, retrying while the store fails. */
  private async readUpTo(roomId: string, cursor: Cursor, wanted: number): Promise<void> {
    while (cursor.last < wanted && !this.isStopped) {
      try {
        const { items } = await this.uow.repos.events.listAfter(roomId, cursor.last, this.pageSize);
        const page = items.filter((event) => event.seq <= wanted);
        // Trimmed before this node could read it: nothing more can be delivered below `wanted`.
        if (page.length === 0) cursor.last = wanted;
        for (const event of page) this.deliver(cursor, event);
      } catch (error) {
        this.options.reportError(error, roomId);
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      }
    }
  }

  private deliver(cursor: Cursor, event: RoomEvent): void {
    cursor.last = event.seq;
    this.local.push(event);
  }
}
