import type { Frame } from './codec.js';
import type { HubClient } from './hub-client.js';

interface HeldEvent {
  readonly seq: number;
  readonly type: string;
  readonly frame: Frame;
}

/**
 * One connection's interest in one room. It starts held: live events are kept until the joiner
 * has read where the room stands, then `goLive` sends the ones after that point. From then on
 * each event goes out at most once, in the order pushed, if the type filter admits it.
 */
export class Subscription {
  /** The connection's join of the room succeeded: it counts in presence. A replacing subscription keeps it. */
  isPresent = false;
  private afterSeq = 0;
  private held: HeldEvent[] | null = [];
  private heldBytes = 0;

  constructor(
    private types: ReadonlySet<string> | null,
    /** Held events past this size mean the joiner cannot keep up: it is closed as a slow consumer. */
    private readonly maxHeldBytes: number,
  ) {}

  setTypes(types: ReadonlySet<string> | null): void {
    this.types = types;
  }

  /** Delivers (or holds) one event; returns how many frames went to the client: 0 or 1. */
  offer(client: HubClient, seq: number, type: string, frame: Frame): number {
    if (this.held) {
      if (this.heldBytes > this.maxHeldBytes) return 0;
      this.heldBytes += frame.byteLength;
      if (this.heldBytes > this.maxHeldBytes) {
        // The client is closing; the Hub forgets it when it has.
        this.held = [];
        client.closeAsSlowConsumer('too many events while joining');
        return 0;
      }
      this.held.push({ seq, type, frame });
      return 0;
    }
    return this.deliver(client, seq, type, frame);
  }

  /**
   * Ends the holding: events up to `afterSeq` are the joiner's already; held ones after it are
   * sent now. Returns how many held events went to the client.
   */
  goLive(client: HubClient, afterSeq: number): number {
    const held = this.held;
    if (!held) return 0;
    this.held = null;
    this.afterSeq = afterSeq;
    let delivered = 0;
    for (const event of held) delivered += this.deliver(client, event.seq, event.type, event.frame);
    return delivered;
  }

  private deliver(client: HubClient, seq: number, type: string, frame: Frame): number {
    if (seq <= this.afterSeq) return 0;
    this.afterSeq = seq;
    if (this.types !== null && !this.types.has(type)) return 0;
    client.enqueue(frame);
    return 1;
  }
}
