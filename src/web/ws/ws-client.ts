import type { WebSocket } from 'ws';
import type { User } from '../../domain/user.js';
import { CloseCode } from './close-codes.js';
import type { Frame } from './codec.js';
import { FrameWriter } from './frame-writer.js';
import type { HubClient } from './hub-client.js';

/** Above this many bytes in the socket's own buffer, the writer waits for it to drain. */
const SOCKET_HIGH_WATER_BYTES = 64 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How a connection ended, for logs and metrics. */
export type ClientEnd = 'closed' | 'overflow' | 'missed-pong';

/** What the owner of a client hears. */
export interface ClientEvents {
  /** The connection is gone (reported once, whatever ended it). */
  closed(client: WsClient, end: ClientEnd): void;
  /** The client could not keep up and is being closed with 1013; `closed` follows once the socket is gone. */
  closingAsSlowConsumer(pendingBytes: number): void;
}

/**
 * One WebSocket connection: its user, a bounded send queue drained by its own writer, and its
 * keepalive state. It reports its end once, through `onClosed`, driven by the socket's `close`.
 */
export class WsClient implements HubClient {
  private readonly queue: Frame[] = [];
  private queuedBytes = 0;
  private isWaitingForDrain = false;
  private isAlive = true;
  private isClosing = false;
  private endReason: ClientEnd = 'closed';
  private drainWaiters: (() => void)[] = [];
  private readonly expiryTimer: NodeJS.Timeout | undefined;
  private readonly writer: FrameWriter;
  private readonly resume = (): void => {
    this.isWaitingForDrain = false;
    this.flush();
  };

  constructor(
    private readonly socket: WebSocket,
    readonly user: User,
    private readonly queueLimitBytes: number,
    /** When the token stops being valid (ms since the epoch); undefined: never. */
    private readonly expiresAtMs: number | undefined,
    private readonly events: ClientEvents,
  ) {
    this.writer = new FrameWriter(socket);
    const untilExpiry = expiresAtMs === undefined ? undefined : expiresAtMs - Date.now();
    // setTimeout cannot wait longer than about 24.8 days; past that, the check on each op still applies.
    if (untilExpiry !== undefined && untilExpiry <= MAX_TIMER_MS) {
      this.expiryTimer = setTimeout(() => this.closeExpired(), Math.max(0, untilExpiry));
    }
    // Any frame from the peer proves it alive: a busy client's pong may wait behind its own frames.
    const markAlive = () => {
      this.isAlive = true;
    };
    socket.on('pong', markAlive);
    socket.on('message', markAlive);
    socket.once('close', () => {
      clearTimeout(this.expiryTimer);
      this.stopSending();
      this.wakeDrainWaiters();
      events.closed(this, this.endReason);
    });
  }

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
    return this.queuedBytes + this.socket.bufferedAmount;
  }

  /** Queues a frame; past the limit (counting the socket's own buffer) the client is closed with 1013. */
  enqueue(frame: Frame): void {
    if (this.isClosing) return;
    const buffered = this.socket.bufferedAmount;
    if (this.queuedBytes + buffered + frame.byteLength > this.queueLimitBytes) {
      this.closeAsSlowConsumer('send queue overflow');
      return;
    }
    // The common case in a fan-out: nothing waits and the socket has room, so skip the queue.
    if (this.queue.length === 0 && !this.isWaitingForDrain && buffered + frame.byteLength < SOCKET_HIGH_WATER_BYTES) {
      this.writer.write(frame);
      return;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.byteLength;
    if (!this.isWaitingForDrain) this.flush();
  }

  /**
   * Sends what is queued, then the close frame. Everything queued goes to the socket at once,
   * past the high-water mark: the queue is already within its limit, so the socket's buffer
   * stays bounded, and the close frame must follow the last event rather than wait for drains.
   */
  close(code: number, reason: string): void {
    if (this.isClosing) return;
    for (const frame of this.queue) this.writer.write(frame);
    this.stopSending();
    this.socket.close(code, reason);
  }

  /** Closes as a slow consumer (1013), dropping what is queued. */
  closeAsSlowConsumer(reason: string): void {
    if (this.isClosing) return;
    this.endReason = 'overflow';
    this.events.closingAsSlowConsumer(this.pendingBytes);
    this.abort(CloseCode.SlowConsumer, reason);
  }

  /**
   * Resolves once everything queued has been handed to the socket and the socket is not full:
   * a producer with much to send (a replay) waits on this between batches. False when closed.
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
      this.socket.terminate();
      return;
    }
    this.isAlive = false;
    this.socket.ping();
  }

  private closeExpired(): void {
    this.close(CloseCode.TokenExpired, 'token expired');
  }

  /** Drops what is queued and closes at once. */
  private abort(code: number, reason: string): void {
    this.stopSending();
    this.socket.close(code, reason);
  }

  /** From here on nothing more is sent: the connection is ending. */
  private stopSending(): void {
    this.isClosing = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.isClosing) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= frame.byteLength;
      if (this.socket.bufferedAmount + frame.byteLength < SOCKET_HIGH_WATER_BYTES) {
        this.writer.write(frame);
        continue;
      }
      // The socket is full: this frame's write callback is the signal to go on.
      this.isWaitingForDrain = true;
      this.writer.write(frame, this.resume);
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
