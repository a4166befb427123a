import type { HubClient } from './hub-client.js';
import type { OutboundMessage } from './outbound-message.js';
import type { PresenceMessages } from './presence-messages.js';

interface HeldEvent {
  readonly seq: number;
  readonly type: string;
  readonly message: OutboundMessage;
}

/** Where a subscriber stands with a room's presence messages. */
type PresenceState = 'off' | 'awaiting-snapshot' | 'on';

/**
 * One subscriber's interest in one room. It starts held: live events are kept until the joiner
 * has read where the room stands, then `goLive` sends the ones after that point. From then on
 * each event goes out at most once, in the order pushed, if the type filter admits it. Presence
 * messages start once it is live (a snapshot first), if the joiner wants them.
 */
export class Subscription {
  /** The subscriber's join of the room succeeded: it counts in presence. A replacing subscription keeps it. */
  isPresent = false;
  private afterSeq = 0;
  private held: HeldEvent[] | null = [];
  private heldBytes = 0;
  private presence: PresenceState = 'off';

  constructor(
    private types: ReadonlySet<string> | null,
    /** Held events past this size mean the joiner cannot keep up: it is closed as a slow consumer. */
    private readonly maxHeldBytes: number,
    private readonly wantsPresence = true,
  ) {}

  setTypes(types: ReadonlySet<string> | null): void {
    this.types = types;
  }

  /** Delivers (or holds) one event; returns how many messages went to the client: 0 or 1. */
  offer(client: HubClient, seq: number, type: string, message: OutboundMessage): number {
    if (this.held) {
      if (this.heldBytes > this.maxHeldBytes) return 0;
      this.heldBytes += message.byteLength;
      if (this.heldBytes > this.maxHeldBytes) {
        // The client is closing; the Hub forgets it when it has.
        this.held = [];
        client.closeAsSlowConsumer('too many events while joining');
        return 0;
      }
      this.held.push({ seq, type, message });
      return 0;
    }
    return this.deliver(client, seq, type, message);
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
    if (this.wantsPresence) this.presence = 'awaiting-snapshot';
    let delivered = 0;
    for (const event of held) delivered += this.deliver(client, event.seq, event.type, event.message);
    return delivered;
  }

  get awaitsSnapshot(): boolean {
    return this.presence === 'awaiting-snapshot';
  }

  /**
   * Sends the snapshot if the subscriber waits for one, else the change, if any. A subscriber
   * whose queue is over half full gets neither, and waits for a snapshot again: returns false then.
   */
  offerPresence(client: HubClient, messages: PresenceMessages): boolean {
    if (this.presence === 'off') return true;
    const message = this.presence === 'on' ? messages.change : messages.snapshot;
    if (message === undefined) return true;
    if (client.pendingBytes > client.queueLimit / 2) {
      this.presence = 'awaiting-snapshot';
      return false;
    }
    client.deliver(message);
    this.presence = 'on';
    return true;
  }

  private deliver(client: HubClient, seq: number, type: string, message: OutboundMessage): number {
    if (seq <= this.afterSeq) return 0;
    this.afterSeq = seq;
    if (this.types !== null && !this.types.has(type)) return 0;
    client.deliver(message);
    return 1;
  }
}
