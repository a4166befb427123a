import { DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, StatefulClient } from './client-state.js';
import { type Environment, defaultEnvironment } from './environment.js';
import { RoomcastError } from './errors.js';
import { type JoinOptions, Room } from './room.js';
import type { EventMap } from './room-event.js';
import { RoomStream, type StreamOwner, type StreamSettings } from './room-stream.js';
import { type TokenSource, requireTokenSource } from './tokens.js';

/** `connect` with `transport: 'sse'`: read-only rooms over Server-Sent Events, one stream a room. */
export interface StreamConnectOptions extends TokenSource {
  readonly transport: 'sse';
  /** The server's base URL (`https://push.example.com`): each room streams from `<url>/v1/rooms/<room>/stream`. */
  readonly url: string;
  /** The fetch function; default `globalThis.fetch` (browsers, Node 18+). */
  readonly fetch?: typeof fetch;
  readonly reconnect?: ReconnectOptions;
  /** How long a `leave` (a REST call) may take before failing with `unavailable` (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** Online and visibility signals; default: the browser's (always online in Node). */
  readonly environment?: Environment;
}

/**
 * A client whose rooms each arrive as a Server-Sent Events stream: the WebSocket client's rooms,
 * events and reconnects, for readers that cannot hold a WebSocket. Its state sums up its streams:
 * `connecting` until one opens, `reconnecting` while any waits to reconnect, `open` otherwise.
 */
export class RoomcastStreamClient extends StatefulClient {
  private readonly rooms = new Map<string, { readonly room: Room<object>; readonly stream: RoomStream }>();
  private readonly settings: StreamSettings;
  private readonly owner: StreamOwner;

  constructor(options: StreamConnectOptions) {
    super();
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('url must be http:// or https://');
    requireTokenSource(options);
    const fetchFunction = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (!fetchFunction) throw new TypeError('no global fetch: pass options.fetch');
    this.settings = {
      ...(options.token !== undefined && { token: options.token }),
      ...(options.getToken !== undefined && { getToken: options.getToken }),
      baseUrl: options.url.replace(/\/+$/, ''),
      fetch: fetchFunction,
      reconnect: { ...DEFAULT_RECONNECT, ...options.reconnect },
      environment: options.environment ?? defaultEnvironment(),
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    };
    this.owner = {
      changed: () => this.updateState(),
      retrying: (retry) => this.emit('retry', retry),
      failed: (error) => this.emit('error', error),
      tokenExpired: () => this.tokenExpired(),
      forget: (room) => {
        if (this.rooms.get(room.id)?.room === room) this.rooms.delete(room.id);
        this.updateState();
      },
    };
  }

  /** Streams a room (the user must be a member already, or hold a service token). Joining a room this client already has returns that room. */
  join<E extends object = EventMap>(roomId: string, options: JoinOptions = {}): Room<E> {
    if (this.state === 'closed') throw new RoomcastError('unavailable', 'the client is closed');
    const existing = this.rooms.get(roomId);
    if (existing) return existing.room as Room<E>;
    const stream = new RoomStream(this.settings, this.owner);
    const room = new Room<E>(roomId, options, stream);
    this.rooms.set(roomId, { room: room as Room<object>, stream });
    stream.attach(room as Room<object>);
    return room;
  }

  /** Closes every stream for good: rooms end, pending ops fail with `unavailable`. */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.setState('closed');
    const closed = new RoomcastError('unavailable', 'the client is closed');
    for (const { room } of [...this.rooms.values()]) room.end(closed);
    return Promise.resolve();
  }

  private updateState(): void {
    if (this.state === 'closed') return;
    const streams = [...this.rooms.values()].map(({ stream }) => stream);
    if (streams.some((stream) => stream.isRetrying)) this.setState('reconnecting');
    else if (this.state !== 'connecting' || streams.some((stream) => stream.hasOpened)) this.setState('open');
  }
}
