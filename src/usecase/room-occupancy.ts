import type { PresenceTracker } from '../domain/ports/presence.js';
import type { OccupancyLedger } from '../domain/ports/webhooks.js';

export interface OccupancyOptions {
  /** Settlements at once: each holds a database connection (and reads presence), so a burst of changes must not take the pool from publishing. */
  readonly concurrency: number;
  /** After a settlement failed (the database or presence did not answer), the room is settled again this much later. */
  readonly retryMs: number;
  /** Hears of the first failed settlement after one that did not fail (an outage fails every room, over and over). */
  readonly reportError: (error: unknown, roomId: string) => void;
}

/**
 * Keeps each room's recorded occupancy (and with it room.occupied / room.vacated) in step with
 * presence. Every presence change this node notices settles its room in the ledger, which
 * serialises settlements across the cluster and records each change once. Rooms wait their turn
 * in order; changes to a room already waiting, or being settled, make one more settlement, not
 * one each.
 */
export class RoomOccupancy {
  /** Rooms to settle, oldest first. */
  private readonly waiting = new Set<string>();
  /** Rooms being settled, and their settlements. */
  private readonly settling = new Map<string, Promise<void>>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private isStopped = false;
  private isFailing = false;

  constructor(
    private readonly presence: PresenceTracker,
    private readonly ledger: OccupancyLedger,
    private readonly options: OccupancyOptions,
  ) {
    presence.onChange((roomId) => this.settle(roomId));
  }

  /** Settles every room recorded as occupied: at start, rooms a stopped or killed node left occupied become vacated. */
  async reconcile(): Promise<void> {
    for (const roomId of await this.ledger.occupiedRooms()) this.settle(roomId);
  }

  /** Stops retrying and resolves once every room waiting or being settled is settled. */
  async stop(): Promise<void> {
    this.isStopped = true;
    for (const retry of this.retries) clearTimeout(retry);
    while (this.settling.size > 0) await Promise.all(this.settling.values());
  }

  /** Settles the room when its turn comes (again, after a settlement under way). */
  settle(roomId: string): void {
    this.waiting.add(roomId);
    this.next();
  }

  private next(): void {
    for (const roomId of this.waiting) {
      if (this.settling.size >= this.options.concurrency) return;
      if (this.settling.has(roomId)) continue;
      this.waiting.delete(roomId);
      const done = this.settleNow(roomId).finally(() => {
        this.settling.delete(roomId);
        this.next();
      });
      this.settling.set(roomId, done);
    }
  }

  private async settleNow(roomId: string): Promise<void> {
    try {
      await this.ledger.settle(roomId, async () => (await this.presence.inRoom(roomId)).length > 0);
      this.isFailing = false;
    } catch (error) {
      if (!this.isFailing) this.options.reportError(error, roomId);
      this.isFailing = true;
      this.retryLater(roomId);
    }
  }

  private retryLater(roomId: string): void {
    if (this.isStopped) return;
    const retry = setTimeout(() => {
      this.retries.delete(retry);
      this.settle(roomId);
    }, this.options.retryMs);
    retry.unref();
    this.retries.add(retry);
  }
}
