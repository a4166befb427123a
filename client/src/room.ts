import { Emitter } from './emitter.js';
import { RoomcastError } from './errors.js';
import type { ClientFrame, EventFrame, JoinFrame, OkFrame, PresenceFrame } from './protocol.js';
import type { Settle } from './requests.js';
import type { EventMap, RoomEventOf } from './room-event.js';
import { type PresenceChange, type RoomPresence, applyPresence } from './room-presence.js';

/** What a successful (re)join reported. */
export interface JoinInfo {
  readonly epoch: string;
  /** The room's last seq when live delivery began. */
  readonly seq: number;
  /** Present when the join resumed from a seq: false means missed events were not replayed. */
  readonly recovered?: boolean;
}

export interface JoinOptions {
  /** Only these event types (default: all). */
  readonly types?: readonly string[];
  /** Resume after this seq (for example one the app stored); later rejoins use the last seq delivered. */
  readonly since?: number;
  /** The epoch `since` belongs to. */
  readonly epoch?: string;
  /** Keep `room.presence` and the `presence` event (default true); false: the server sends this room no presence. */
  readonly presence?: boolean;
}

export interface PublishOptions {
  /** 1–255 visible ASCII characters, scoped to the room and the user; kept by the server for `IDEMPOTENCY_TTL`. */
  readonly idempotencyKey?: string;
}

export interface RoomEvents<E extends object> {
  /** Each event exactly once, in seq order, across reconnects. */
  event: RoomEventOf<E>;
  /** Every successful join, the first and each one after a reconnect. */
  joined: JoinInfo;
  /** Missed events could not all be replayed (history trimmed, or another epoch): refetch state. */
  'recovery-failed': JoinInfo;
  /** Each presence update: a snapshot after every join, then diffs. */
  presence: PresenceChange;
  /** The server refused the join; the room is no longer joined. */
  error: RoomcastError;
}

/** How a room reaches the connection; implemented by the client. */
export interface RoomTransport {
  /** True while a connection is open; every active room has sent its join on it. */
  readonly isOpen: boolean;
  /** Sends a join at once (only while open); `settle` runs before any frame after the reply is handled. */
  join(frame: JoinFrame, settle: Settle): void;
  /** Sends an op, queued until a connection is open; fails with `unavailable` after the request timeout. */
  request(frame: ClientFrame): Promise<OkFrame>;
  /** This room wants nothing more from the client. */
  forget(room: { readonly id: string }): void;
}

/** One room on a client connection; rejoined with `since` on every reconnect. */
export class Room<E extends object = EventMap> extends Emitter<RoomEvents<E>> {
  /** Settles with the first join: resolved when it succeeds, rejected when it is refused or the room ends first. */
  readonly ready: Promise<JoinInfo>;
  private settleReady: { resolve(info: JoinInfo): void; reject(error: RoomcastError): void } | undefined;
  private types: readonly string[] | null;
  private lastSeq: number | undefined;
  private lastEpoch: string | undefined;
  private readonly wantsPresence: boolean;
  private currentPresence: RoomPresence | undefined;
  /** Joined on the current connection: its events may be delivered. */
  private isLive = false;
  private isActive = true;

  constructor(
    readonly id: string,
    options: JoinOptions,
    private readonly transport: RoomTransport,
  ) {
    super();
    this.types = options.types ? [...options.types] : null;
    this.lastSeq = options.since;
    this.lastEpoch = options.epoch;
    this.wantsPresence = options.presence ?? true;
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    // Awaiting `ready` is optional: an unobserved refusal must not surface as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** The seq of the last event delivered (or the join's starting point); undefined before the first join. */
  get seq(): number | undefined {
    return this.lastSeq;
  }

  /** The epoch of the room's event stream, from the last join. */
  get epoch(): string | undefined {
    return this.lastEpoch;
  }

  /** Who is connected to the room now; undefined until the first snapshot (always, with `presence: false`). */
  get presence(): RoomPresence | undefined {
    return this.currentPresence;
  }

  /**
   * Publishes an event; resolves with its seq, rejects with the server's error code. With an
   * `idempotencyKey`, a retry (after a lost connection, say) with the same key, type and data never
   * publishes twice: it resolves with the original seq.
   */
  async publish<K extends keyof E & string>(type: K, data: E[K], options: PublishOptions = {}): Promise<number> {
    const { idempotencyKey } = options;
    const frame = { op: 'publish' as const, room: this.id, type, data };
    const ok = await this.transport.request(idempotencyKey === undefined ? frame : { ...frame, idempotencyKey });
    return ok.seq as number;
  }

  /** Replaces the type filter (`null`: every type); kept for later rejoins. */
  async filter(types: readonly string[] | null): Promise<void> {
    this.types = types ? [...types] : null;
    if (this.isActive && this.transport.isOpen) {
      await this.ignoringLostConnection(this.transport.request({ op: 'filter', room: this.id, types: this.types }));
    }
  }

  /** Stops receiving the room; membership stays. */
  async unsubscribe(): Promise<void> {
    if (!this.isActive) return;
    const wasJoinSent = this.transport.isOpen;
    this.end(new RoomcastError('not_subscribed', `room '${this.id}' was unsubscribed`));
    if (wasJoinSent) await this.ignoringLostConnection(this.transport.request({ op: 'unsubscribe', room: this.id }));
  }

  /** Gives up membership (the server publishes `member.left`); queued while disconnected. */
  async leave(): Promise<void> {
    this.end(new RoomcastError('not_subscribed', `room '${this.id}' was left`));
    await this.transport.request({ op: 'leave', room: this.id });
  }

  /** Sends the join for a new connection, resuming after the last seq delivered. */
  subscribe(): void {
    if (!this.isActive) return;
    const frame: JoinFrame = {
      op: 'join',
      room: this.id,
      ...(this.types && { types: this.types }),
      ...(this.lastSeq !== undefined && { since: this.lastSeq }),
      ...(this.lastSeq !== undefined && this.lastEpoch !== undefined && { epoch: this.lastEpoch }),
      ...(!this.wantsPresence && { presence: false as const }),
    };
    this.transport.join(frame, (result) =>
      result instanceof RoomcastError ? this.refused(result) : this.joined(result),
    );
  }

  /** An event pushed for this room: delivered once, in order. */
  deliver(frame: EventFrame): void {
    if (!this.isLive || (this.lastSeq !== undefined && frame.seq <= this.lastSeq)) return;
    this.lastSeq = frame.seq;
    const { room, seq, type, data, sender, at } = frame;
    this.emit('event', { room, seq, type, data, sender, at } as RoomEventOf<E>);
  }

  /** A presence frame for this room: a snapshot replaces the state, a diff changes it. */
  updatePresence(frame: PresenceFrame): void {
    const change = applyPresence(this.currentPresence, frame);
    this.currentPresence = change.presence;
    this.emit('presence', change);
  }

  /** The connection ended; events wait for the next join, and presence for its snapshot. */
  disconnected(): void {
    this.isLive = false;
  }

  /** The room is done on this client (unsubscribed, left, refused, or the client closed). */
  end(reason: RoomcastError): void {
    this.isActive = false;
    this.isLive = false;
    this.settleReady?.reject(reason);
    this.settleReady = undefined;
    this.transport.forget(this);
  }

  private joined(ok: OkFrame): void {
    if (!this.isActive) return;
    const info: JoinInfo = { epoch: ok.epoch as string, seq: ok.seq as number, recovered: ok.recovered };
    // Recovered: the replay of everything after lastSeq follows. Otherwise live delivery starts after seq.
    if (ok.recovered !== true) this.lastSeq = info.seq;
    this.lastEpoch = info.epoch;
    this.isLive = true;
    this.settleReady?.resolve(info);
    this.settleReady = undefined;
    this.emit('joined', info);
    if (ok.recovered === false) this.emit('recovery-failed', info);
  }

  /** The server ended the room for good (a stream closed because its user left the room): as a refusal. */
  endedByServer(error: RoomcastError): void {
    if (!this.isActive) return;
    this.end(error);
    this.emit('error', error);
  }

  private refused(error: RoomcastError): void {
    // The connection ended before the reply: the next connection joins again.
    if (error.code === 'unavailable') return;
    this.endedByServer(error);
  }

  /** For filter and unsubscribe, a lost connection is harmless: the next join carries the change. */
  private async ignoringLostConnection(request: Promise<unknown>): Promise<void> {
    try {
      await request;
    } catch (error) {
      const isHarmless =
        error instanceof RoomcastError && (error.code === 'unavailable' || error.code === 'not_subscribed');
      if (!isHarmless) throw error;
    }
  }
}
