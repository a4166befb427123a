import type { User } from '../../domain/user.js';
import type { ClientEnd, ClientEvents } from './client-events.js';
import { CloseCode } from './close-codes.js';
import type { HubClient } from './hub-client.js';
import type { MessageEncoding, OutboundMessage } from './outbound-message.js';

/** Above this many bytes in the transport's own buffer, the writer waits for it to drain. */
const TRANSPORT_HIGH_WATER_BYTES = 64 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A Hub client whatever its transport: its user, a bounded send queue drained as the transport
 * takes it, its keepalive state and its token's expiry. It reports its end once, through
 * `events.closed`, when the transport says it is gone (`ended`). A transport (WebSocket, SSE)
 * supplies how items are encoded and written, how the connection is closed or cut, and how the
 * peer is probed; everything else is the same for every transport, here.
 */
export abstract class QueuedClient<Item extends { readonly byteLength: number }> implements HubClient {
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private isWaitingForDrain = false;
  private isAlive = true;
  private isClosing = false;
  private endReason: ClientEnd = 'closed';
  private drainWaiters: (() => void)[] = [];
  private readonly expiryTimer: NodeJS.Timeout | undefined;
  private readonly resume = (): void => {
    this.isWaitingForDrain = false;
    this.flush();
  };

  protected abstract readonly events: ClientEvents<this>;
  /** How a Hub message becomes an item of this transport. */
  protected abstract readonly encoding: MessageEncoding<Item>;

  protected constructor(
    readonly user: User,
    private readonly queueLimitBytes: number,
    /** When the token stops being valid (ms since the epoch); undefined: never. */
    private readonly expiresAtMs: number | undefined,
  ) {
    const untilExpiry = expiresAtMs === undefined ? undefined : expiresAtMs - Date.now();
    // setTimeout cannot wait longer than about 24.8 days; past that, `checkExpired` still applies.
    if (untilExpiry !== undefined && untilExpiry <= MAX_TIMER_MS) {
      this.expiryTimer = setTimeout(() => this.closeExpired(), Math.max(0, untilExpiry));
    }
  }

  /** Bytes the transport holds: written, not yet sent. */
  protected abstract get transportBufferedBytes(): number;
  /** Writes one item whole; `written` is called once the transport has taken it. */
  protected abstract write(item: Item, written?: () => void): void;
  /** Ends the connection after what was written, telling the peer `code`. */
  protected abstract sendClose(code: number, reason: string): void;
  /** Cuts the connection at once. */
  protected abstract terminate(): void;
  /** Probes the peer; a sign of life comes back through `markAlive`. */
  protected abstract ping(): void;
  /** The Hub ended this client's subscription to the room (its user left): what that means is the transport's. */
  abstract evicted(roomId: string): void;

  /** True once the token has expired; the connection is then closed with 4001. */
  checkExpired(): boolean {
    if (this.expiresAtMs === undefined || Date.now() < this.expiresAtMs) return false;
    this.closeExpired();
    return true;
  }

  get isOpen(): boolean {
    return !this.isClosing;
  }

  get queueLimit(): number {
    return this.queueLimitBytes;
  }

  get pendingBytes(): number {
    return this.queuedBytes + this.transportBufferedBytes;
  }

  deliver(message: OutboundMessage): void {
    this.enqueue(message.encodedAs(this.encoding));
  }

  /** Queues an item; past the limit (counting the transport's own buffer) the client is closed with 1013. */
  enqueue(item: Item): void {
    if (this.isClosing) return;
    const buffered = this.transportBufferedBytes;
    if (this.queuedBytes + buffered + item.byteLength > this.queueLimitBytes) {
      this.closeAsSlowConsumer('send queue overflow');
      return;
    }
    // The common case in a fan-out: nothing waits and the transport has room, so skip the queue.
    if (this.queue.length === 0 && !this.isWaitingForDrain && buffered + item.byteLength < TRANSPORT_HIGH_WATER_BYTES) {
      this.write(item);
      return;
    }
    this.queue.push(item);
    this.queuedBytes += item.byteLength;
    if (!this.isWaitingForDrain) this.flush();
  }

  /**
   * Sends what is queued, then closes. Everything queued goes to the transport at once, past the
   * high-water mark: the queue is already within its limit, so the transport's buffer stays
   * bounded, and the close must follow the last message rather than wait for drains.
   */
  close(code: number, reason: string): void {
    if (this.isClosing) return;
    for (const item of this.queue) this.write(item);
    this.stopSending();
    this.sendClose(code, reason);
  }

  /** Closes as a slow consumer (1013), dropping what is queued. */
  closeAsSlowConsumer(reason: string): void {
    if (this.isClosing) return;
    this.endReason = 'overflow';
    this.events.closingAsSlowConsumer(this.pendingBytes);
    this.stopSending();
    this.sendClose(CloseCode.SlowConsumer, reason);
  }

  /**
   * Resolves once everything queued has been handed to the transport and it is not full: a
   * producer with much to send (a replay) waits on this between batches. False when closed.
   */
  whenDrained(): Promise<boolean> {
    if (this.isClosing) return Promise.resolve(false);
    if (this.queue.length === 0 && !this.isWaitingForDrain) return Promise.resolve(true);
    return new Promise((resolve) => this.drainWaiters.push(() => resolve(!this.isClosing)));
  }

  keepAlive(): void {
    if (!this.isAlive) {
      // A client already closing (as a slow consumer, say) keeps the reason it is closing for.
      if (!this.isClosing) this.endReason = 'missed-pong';
      this.stopSending();
      this.terminate();
      return;
    }
    this.isAlive = false;
    this.ping();
  }

  /** The peer showed it is alive: the next heartbeat probes it again rather than cutting it off. */
  protected markAlive(): void {
    this.isAlive = true;
  }

  /** The transport is gone: called once by the subclass, whatever ended it. */
  protected ended(): void {
    clearTimeout(this.expiryTimer);
    this.stopSending();
    this.wakeDrainWaiters();
    this.events.closed(this, this.endReason);
  }

  private closeExpired(): void {
    this.close(CloseCode.TokenExpired, 'token expired');
  }

  /** From here on nothing more is sent: the connection is ending. */
  private stopSending(): void {
    this.isClosing = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.isClosing) {
      const item = this.queue.shift()!;
      this.queuedBytes -= item.byteLength;
      if (this.transportBufferedBytes + item.byteLength < TRANSPORT_HIGH_WATER_BYTES) {
        this.write(item);
        continue;
      }
      // The transport is full: this item's write callback is the signal to go on.
      this.isWaitingForDrain = true;
      this.write(item, this.resume);
      return;
    }
    if (this.drainWaiters.length > 0) this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
