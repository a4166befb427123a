import WebSocket from 'ws';
import { presenceFromFrames } from './presence-state.js';

/** A JSON frame as the server sent it. */
export type ServerFrame = Record<string, unknown> & { op: string };

/** A frame the server pushes on its own (an event, or presence), as opposed to a reply to a client frame. */
export function isServerPush(frame: ServerFrame): boolean {
  return frame.op === 'event' || frame.op === 'presence';
}

/** A real `ws` client that keeps every frame it receives and lets a test wait for conditions. */
export class WsTestClient {
  readonly frames: ServerFrame[] = [];
  private nextId = 1;
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      this.notify();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      this.notify();
    });
  }

  /** Opens a socket offering `roomcast.v1` and the token as a subprotocol. */
  static async connect(url: string, token: string): Promise<WsTestClient> {
    const socket = new WebSocket(url, ['roomcast.v1', `roomcast.token.${token}`]);
    const client = new WsTestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** Sends an op with a fresh id and resolves to its reply (`ok` or `error`). */
  async request(frame: Record<string, unknown>, timeoutMs?: number): Promise<ServerFrame> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ ...frame, id }));
    return this.waitFor(() => this.frames.find((f) => f.id === id && (f.op === 'ok' || f.op === 'error')), timeoutMs);
  }

  /** The `event` pushes received for a room, in arrival order. */
  events(room?: string): ServerFrame[] {
    return this.frames.filter((frame) => frame.op === 'event' && (room === undefined || frame.room === room));
  }

  /** The `presence` pushes received for a room, in arrival order. */
  presenceFrames(room: string): ServerFrame[] {
    return this.frames.filter((frame) => frame.op === 'presence' && frame.room === room);
  }

  /** The room's presence as the frames so far tell it: the count, and the user ids present (sorted) unless counts only. */
  presence(room: string): { count: number; users?: string[] } | undefined {
    return presenceFromFrames(this.presenceFrames(room));
  }

  /** Resolves once `probe` returns something truthy, checking it now and on each frame and the close; rejects after `timeoutMs`. */
  waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((waiter) => waiter !== check);
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        reject(
          new Error(`${what} not met within ${timeoutMs} ms; last frames: ${JSON.stringify(this.frames.slice(-3))}`),
        );
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  /** Resolves with the close code once the socket has closed. */
  closed(): Promise<number> {
    return this.waitFor(() => this.closeCode);
  }

  close(): Promise<number> {
    if (this.closeCode === undefined) this.socket.close();
    return this.closed();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** An upgrade the server refused: the HTTP status and the JSON error body. */
export interface UpgradeRefusal {
  readonly status: number;
  readonly body: { error: { code: string; message: string } };
}

/** Tries an upgrade that the server must refuse; rejects (closing the socket) if it is accepted. */
export function refusedUpgrade(
  url: string,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<UpgradeRefusal> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers });
    socket.on('open', () => {
      socket.close();
      reject(new Error('upgrade was accepted'));
    });
    socket.on('error', () => undefined);
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
  });
}
