import WebSocket from 'ws';
import { eventuallyAsync } from './eventually.js';
import { presenceFromFrames } from './presence-state.js';
import { bearer } from './rest.js';

/** The `ok` (or `error`) reply to a join, as the server sent it. */
export type JoinReply = Record<string, unknown> & { op: string };

/** One connection of a subscriber; once ended, nothing more it receives counts. */
interface Link {
  readonly socket: WebSocket;
  readonly closed: Promise<void>;
  since: number;
  isEnded: boolean;
  hasReply: boolean;
}

/** A disconnect armed to fire from inside the message handler, the moment a seq is reached. */
interface Trigger {
  readonly seq: number;
  readonly isAbrupt: boolean;
  readonly fired: () => void;
}

/**
 * A client that follows one room across many connections, the way the protocol tells a client to:
 * each rejoin passes `since` = the last seq it received and the epoch it was first given. It keeps
 * every seq it received, concatenated over its connections, and every protocol slip it saw.
 */
export class ResumingSubscriber {
  readonly seqs: number[] = [];
  /** What went wrong on the wire: an event before the join's ok, a refused or unrecovered join. */
  readonly problems: string[] = [];
  /** Every join reply, with the `since` it answered. */
  readonly joins: { readonly since: number; readonly reply: JoinReply }[] = [];
  /** The close code of each connection that has ended, in order. */
  readonly closeCodes: number[] = [];
  /** Every `presence` push received, over all connections, in order. */
  readonly presenceFrames: Record<string, unknown>[] = [];
  epoch: string | undefined;
  private link: Link | undefined;
  private readonly closings: Promise<void>[] = [];
  private trigger: Trigger | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    /** Where the next connection goes; a test may point it at another node. */
    public wsUrl: string,
    private readonly token: string,
    readonly room: string,
    readonly name: string,
  ) {}

  get lastSeq(): number {
    return this.seqs.at(-1) ?? 0;
  }

  get isConnected(): boolean {
    return this.link !== undefined && !this.link.isEnded;
  }

  get connections(): number {
    return this.closings.length;
  }

  /** How many events the rejoins had to replay, in all: the distance from each `since` to the reply's seq. */
  get replayed(): number {
    return this.joins.reduce((sum, { since, reply }) => sum + Math.max(0, Number(reply.seq ?? since) - since), 0);
  }

  /** Opens a connection and sends the join; resolves to its reply, which must say `recovered: true`. */
  async join(): Promise<JoinReply> {
    return (await this.rejoin()).reply;
  }

  /**
   * Opens a connection and sends the join, without waiting for the reply: the caller may go on
   * publishing or disconnect while the replay runs. A connection closed first replies `closed`.
   */
  async rejoin(): Promise<{ readonly reply: Promise<JoinReply> }> {
    if (this.isConnected) throw new Error(`${this.name} is already connected`);
    const socket = new WebSocket(this.wsUrl, ['roomcast.v1', `roomcast.token.${this.token}`]);
    const link: Link = {
      socket,
      closed: new Promise((resolve) =>
        socket.once('close', (code) => {
          this.closeCodes.push(code);
          resolve();
        }),
      ),
      since: 0,
      isEnded: false,
      hasReply: false,
    };
    this.link = link;
    this.closings.push(link.closed);
    void link.closed.then(() => {
      link.isEnded = true;
    });
    const reply = new Promise<JoinReply>((resolve) => {
      socket.on('message', (data) => {
        const frame = this.receive(link, data.toString());
        if (frame) resolve(frame);
      });
      void link.closed.then(() => resolve({ op: 'closed' }));
    });
    socket.on('error', (error) => this.problems.push(`${this.name}: socket error ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    link.since = this.lastSeq;
    socket.send(JSON.stringify({ op: 'join', id: 1, room: this.room, since: link.since, epoch: this.epoch }));
    return { reply };
  }

  /** Resolves once the current connection is closed, by either side. */
  async connectionClosed(): Promise<void> {
    await this.link?.closed;
  }

  /** Ends the current connection: a close handshake, or `terminate()` with frames possibly in flight. */
  disconnect(isAbrupt: boolean): void {
    const link = this.link;
    if (!link || link.isEnded) return;
    link.isEnded = true;
    if (isAbrupt) link.socket.terminate();
    else link.socket.close();
    this.notify();
  }

  /** Disconnects from inside the message handler as soon as `seq` has been received. */
  disconnectAt(seq: number, isAbrupt: boolean): Promise<void> {
    return new Promise((fired) => {
      this.trigger = { seq, isAbrupt, fired };
      this.checkTrigger();
    });
  }

  /** Resolves once the last seq received is at least `seq`; rejects after `timeoutMs`. */
  reached(seq: number, timeoutMs = 30_000): Promise<void> {
    return this.until(
      () => this.lastSeq >= seq,
      timeoutMs,
      () => `reached seq ${this.lastSeq}, not ${seq}`,
    );
  }

  /** Resolves once the presence frames received tell `count` users present; rejects after `timeoutMs`. */
  seesPresent(count: number, timeoutMs = 30_000): Promise<void> {
    const seen = () => presenceFromFrames(this.presenceFrames)?.count;
    return this.until(
      () => seen() === count,
      timeoutMs,
      () => `saw ${seen()} present, not ${count}`,
    );
  }

  /** Resolves once `probe` holds, checked now and on each frame; rejects after `timeoutMs` with `what` went wrong. */
  private until(probe: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!probe()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        reject(new Error(`${this.name} ${what()} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  /** Closes the current connection and waits for every connection it ever opened to be closed. */
  async closeAll(): Promise<void> {
    this.disconnect(false);
    await Promise.all(this.closings);
  }

  /** Returns the frame when it is this connection's join reply. */
  private receive(link: Link, text: string): JoinReply | undefined {
    if (link.isEnded) return undefined;
    const frame = JSON.parse(text) as JoinReply;
    if (frame.op === 'event') {
      if (!link.hasReply) this.problems.push(`${this.name}: event ${String(frame.seq)} before the join reply`);
      if (frame.room === this.room) this.seqs.push(frame.seq as number);
      this.checkTrigger();
      this.notify();
      return undefined;
    }
    if (frame.op === 'presence') {
      if (!link.hasReply) this.problems.push(`${this.name}: presence before the join reply`);
      this.presenceFrames.push(frame);
      this.notify();
      return undefined;
    }
    if (frame.id !== 1) return undefined;
    link.hasReply = true;
    this.joins.push({ since: link.since, reply: frame });
    if (frame.op !== 'ok' || frame.recovered !== true) {
      this.problems.push(`${this.name}: join refused or not recovered: ${text}`);
    } else if (this.epoch === undefined) {
      this.epoch = frame.epoch as string;
    } else if (frame.epoch !== this.epoch) {
      this.problems.push(`${this.name}: epoch changed to ${String(frame.epoch)}`);
    }
    return frame;
  }

  private checkTrigger(): void {
    const trigger = this.trigger;
    if (!trigger || this.lastSeq < trigger.seq) return;
    this.trigger = undefined;
    this.disconnect(trigger.isAbrupt);
    trigger.fired();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** 1..n, the only seq list a subscriber that followed the whole room may end with. */
export function seqRange(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** Reads the room's last seq over REST. */
export async function roomLastSeq(baseUrl: string, token: string, room: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v1/rooms/${room}`, { headers: bearer(token) });
  if (response.status !== 200) throw new Error(`GET room ${room}: ${response.status}`);
  return ((await response.json()) as { lastSeq: number }).lastSeq;
}

/** Reads the oldest seq the room still keeps, as `GET /events` reports it. */
export async function roomFirstSeq(baseUrl: string, token: string, room: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v1/rooms/${room}/events?limit=1`, { headers: bearer(token) });
  if (response.status !== 200) throw new Error(`GET events of ${room}: ${response.status}`);
  return ((await response.json()) as { firstSeq: number }).firstSeq;
}

/** A server env that keeps 50 events per room, trimming every 50 ms. */
export const SHORT_HISTORY = { HISTORY_MAX_EVENTS: '50', HISTORY_TRIM_INTERVAL_MS: '50' };

/**
 * Resolves once the room no longer keeps `seq` (its first kept seq is past it); rejects after
 * `timeoutMs`. A poll: the server trims on its own timer, seen only through REST.
 */
export function untilTrimmedPast(
  baseUrl: string,
  token: string,
  room: string,
  seq: number,
  timeoutMs: number,
): Promise<void> {
  return eventuallyAsync(
    async () => (await roomFirstSeq(baseUrl, token, room)) > seq,
    timeoutMs,
    `history trimmed past seq ${seq}`,
  );
}

/**
 * Posts `count` events over REST from `callers` concurrent callers, each one request at a time;
 * resolves to the seqs the server gave them.
 */
export async function publishOverRest(
  baseUrl: string,
  token: string,
  room: string,
  count: number,
  callers = 4,
  type = 'tick',
): Promise<number[]> {
  const seqs: number[] = [];
  let next = 0;
  const caller = async () => {
    for (let i = next++; i < count; i = next++) {
      const response = await fetch(`${baseUrl}/v1/rooms/${room}/events`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ type, data: { i } }),
      });
      const body = (await response.json()) as { seq: number };
      if (response.status !== 201) throw new Error(`publish refused: ${response.status} ${JSON.stringify(body)}`);
      seqs.push(body.seq);
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return seqs;
}

/**
 * Publishes `count` events over `connections` service WebSocket connections with the `publish` op,
 * keeping up to `window` ops in flight on each; resolves when all are stored. The window keeps the
 * socket's own buffer short: a pong queued behind megabytes of publishes would reach the server
 * too late, and it would end the connection as dead.
 */
export async function publishOverSockets(
  wsUrl: string,
  token: string,
  room: string,
  count: number,
  connections = 4,
  data: (i: number) => unknown = (i) => ({ i }),
  window = 100,
): Promise<void> {
  let next = 0;
  const claim = () => (next < count ? next++ : undefined);
  const frame = (i: number) => JSON.stringify({ op: 'publish', room, type: 'tick', data: data(i), id: i });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = new WebSocket(wsUrl, ['roomcast.v1', `roomcast.token.${token}`]);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      await publishWindowed(socket, window, frame, claim);
      socket.close();
    }),
  );
}

/** Sends the frames `claim` hands out, at most `window` unanswered at a time, until it runs dry. */
function publishWindowed(
  socket: WebSocket,
  window: number,
  frame: (i: number) => string,
  claim: () => number | undefined,
): Promise<void> {
  let pending = 0;
  const sendNext = (): boolean => {
    const i = claim();
    if (i === undefined) return false;
    pending += 1;
    socket.send(frame(i));
    return true;
  };
  return new Promise<void>((resolve, reject) => {
    socket.on('message', (raw) => {
      const reply = JSON.parse(raw.toString()) as { op: string };
      if (reply.op !== 'ok') reject(new Error(`publish refused: ${raw.toString()}`));
      pending -= 1;
      if (!sendNext() && pending === 0) resolve();
    });
    socket.once('close', (code) => reject(new Error(`publisher closed with ${code}`)));
    while (pending < window && sendNext());
    if (pending === 0) resolve();
  });
}
