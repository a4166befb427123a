import type { PresenceTracker } from '../domain/ports/presence.js';
import type { OccupancyLedger } from '../domain/ports/webhooks.js';

export interface OccupancyOptions {
  /** After a settlement failed (the database or presence did not answer), the room is settled again this much later. */
  readonly retryMs: number;
  readonly reportError: (error: unknown, roomId: string) => void;
}

/** One room being settled; `isWanted` asks for another round once this one ends. */
interface Settling {
  isWanted: boolean;
  readonly done: Promise<void>;
}

/**
 * Keeps each room's recorded occupancy (and with it room.occupied / room.vacated) in step with
 * presence. Every presence change this node notices settles its room in the ledger, which
 * serialises settlements across the cluster and records each change once; changes that arrive
 * while a room is being settled make one more round, not one each.
 */
export class RoomOccupancy {
  private readonly settling = new Map<string, Settling>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private isStopped = false;

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

  /** Stops retrying and resolves once the settlements under way are done. */
  async stop(): Promise<void> {
    this.isStopped = true;
    for (const retry of this.retries) clearTimeout(retry);
    await Promise.all([...this.settling.values()].map((settling) => settling.done));
  }

  /** Settles the room now, or once more after the settlement under way. */
  settle(roomId: string): void {
    const running = this.settling.get(roomId);
    if (running) {
      running.isWanted = true;
      return;
    }
    const settling: Settling = { isWanted: true, done: Promise.resolve().then(() => this.rounds(roomId, settling)) };
    this.settling.set(roomId, settling);
  }

  private async rounds(roomId: string, settling: Settling): Promise<void> {
    while (settling.isWanted) {
      settling.isWanted = false;
      try {
        await this.ledger.settle(roomId, async () => (await this.presence.inRoom(roomId)).length > 0);
      } catch (error) {
        this.options.reportError(error, roomId);
        this.retryLater(roomId);
      }
    }
    this.settling.delete(roomId);
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
