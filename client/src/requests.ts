import { type ErrorCode, RoomcastError } from './errors.js';
import type { ClientFrame, ErrorFrame, OkFrame } from './protocol.js';

/** How an op ends: the server's `ok` reply, or an error. Called exactly once. */
export type Settle = (result: OkFrame | RoomcastError) => void;

/** One op on its way: queued for the connection, or sent and awaiting its reply. */
export interface Request {
  readonly frame: ClientFrame;
  readonly settle: Settle;
}

interface Entry extends Request {
  id?: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Ops waiting for a connection (queued, oldest first) and ops waiting for their reply (by id).
 * Each is settled once: by its reply, by its deadline, or when its connection or the client ends.
 */
export class Requests {
  private queued: Entry[] = [];
  private readonly awaiting = new Map<number, Entry>();
  private lastId = 0;

  constructor(private readonly timeoutMs: number) {}

  /** A new op; `isTimed`: it fails with `unavailable` when no reply came within the timeout. */
  create(frame: ClientFrame, settle: Settle, isTimed: boolean): Request {
    let isSettled = false;
    const entry: Entry = {
      frame,
      settle: (result) => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(entry.timer);
        this.queued = this.queued.filter((queued) => queued !== entry);
        if (entry.id !== undefined) this.awaiting.delete(entry.id);
        settle(result);
      },
    };
    if (isTimed) {
      entry.timer = setTimeout(
        () => entry.settle(new RoomcastError('unavailable', `no reply within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    }
    return entry;
  }

  enqueue(request: Request): void {
    this.queued.push(request as Entry);
  }

  /** Removes and returns the queued ops, oldest first. */
  takeQueued(): Request[] {
    const queued = this.queued;
    this.queued = [];
    return queued;
  }

  /** The frame to send, with the id its reply will carry; the op now awaits that reply. */
  encode(request: Request): string {
    const entry = request as Entry;
    entry.id = ++this.lastId;
    this.awaiting.set(entry.id, entry);
    return JSON.stringify({ ...entry.frame, id: entry.id });
  }

  /** Settles the op a reply answers; replies to ops already settled are ignored. */
  reply(frame: OkFrame | ErrorFrame): void {
    const entry = typeof frame.id === 'number' ? this.awaiting.get(frame.id) : undefined;
    entry?.settle(frame.op === 'ok' ? frame : new RoomcastError(frame.code as ErrorCode, frame.message));
  }

  /** The connection ended: sent ops will get no reply (their effect is unknown, so they are not resent). */
  failAwaiting(error: RoomcastError): void {
    for (const entry of [...this.awaiting.values()]) entry.settle(error);
  }

  /** The client closed: every op fails. */
  failAll(error: RoomcastError): void {
    this.failAwaiting(error);
    for (const entry of this.takeQueued()) entry.settle(error);
  }
}
