import { DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
import {
  type ClientEvents,
  type ConnectionState,
  DEFAULT_REQUEST_TIMEOUT_MS,
  StatefulClient,
  type StateChange,
} from './client-state.js';
import { type Environment, defaultEnvironment } from './environment.js';
import { RoomcastError } from './errors.js';
import {
  type ClientFrame,
  CloseCode,
  MAX_FRAME_BYTES,
  type OkFrame,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  parseServerFrame,
} from './protocol.js';
import { Reconnector } from './reconnector.js';
import { type Request, Requests } from './requests.js';
import { currentToken, requireTokenSource, tokenError } from './tokens.js';
import { type JoinOptions, Room, type RoomTransport } from './room.js';
import { RoomcastStreamClient, type StreamConnectOptions } from './stream-client.js';
import type { EventMap } from './room-event.js';
import { type SocketLike, type WebSocketConstructor, globalWebSocket } from './socket.js';

export type { ClientEvents, ConnectionState, StateChange };

export interface ConnectOptions {
  /** `websocket` (the default): one WebSocket for every room, read and write. For `sse`, see StreamConnectOptions. */
  readonly transport?: 'websocket';
  /** The server's WebSocket endpoint: `wss://host/v1/ws`. */
  readonly url: string;
  /** A fixed token. Prefer `getToken` when tokens expire. */
  readonly token?: string;
  /** Called before every connection attempt, the first and each reconnect, so expiring tokens refresh. */
  readonly getToken?: () => string | Promise<string>;
  /** The WebSocket class; default `globalThis.WebSocket`. Node 20 has none: pass the `ws` package's. */
  readonly WebSocket?: WebSocketConstructor;
  readonly reconnect?: ReconnectOptions;
  /** How long an op may wait for a connection and its reply before failing with `unavailable` (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** Online and visibility signals; default: the browser's (always online in Node). */
  readonly environment?: Environment;
}

/**
 * Opens a client, reconnected automatically until `close()`: one WebSocket for every room it
 * joins, or with `transport: 'sse'` one Server-Sent Events stream a room (read-only).
 */
export function connect(options: StreamConnectOptions): RoomcastStreamClient;
export function connect(options: ConnectOptions): RoomcastClient;
export function connect(options: ConnectOptions | StreamConnectOptions): RoomcastClient | RoomcastStreamClient {
  return options.transport === 'sse' ? new RoomcastStreamClient(options) : new RoomcastClient(options);
}

/** One WebSocket connection, kept open across drops; rooms are rejoined on it with `since`. */
export class RoomcastClient extends StatefulClient {
  private socket: SocketLike | undefined;
  private isSocketOpen = false;
  private readonly rooms = new Map<string, Room<object>>();
  private readonly requests: Requests;
  private readonly reconnector: Reconnector;
  private readonly WebSocketClass: WebSocketConstructor;
  private readonly transport: RoomTransport;

  constructor(private readonly options: ConnectOptions) {
    super();
    const url = new URL(options.url);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError('url must be ws:// or wss://');
    requireTokenSource(options);
    const WebSocketClass = options.WebSocket ?? globalWebSocket();
    if (!WebSocketClass)
      throw new TypeError('no global WebSocket: pass options.WebSocket (in Node 20, the ws package)');
    this.WebSocketClass = WebSocketClass;
    this.requests = new Requests(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.reconnector = new Reconnector(
      { ...DEFAULT_RECONNECT, ...options.reconnect },
      options.environment ?? defaultEnvironment(),
      () => void this.open(),
    );
    this.transport = this.roomTransport();
    this.reconnector.start();
  }

  /**
   * Receives a room on this client's connection (joining it as a member if need be), now or as
   * soon as the connection opens. Joining a room this client already has returns that room.
   */
  join<E extends object = EventMap>(roomId: string, options: JoinOptions = {}): Room<E> {
    if (this.state === 'closed') throw new RoomcastError('unavailable', 'the client is closed');
    const existing = this.rooms.get(roomId);
    if (existing) return existing as Room<E>;
    const room = new Room<E>(roomId, options, this.transport);
    this.rooms.set(roomId, room);
    if (this.isSocketOpen) room.subscribe();
    return room;
  }

  /** Closes the connection for good: pending ops fail with `unavailable`. Resolves once the socket has closed. */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.setState('closed');
    this.reconnector.stop();
    const closed = new RoomcastError('unavailable', 'the client is closed');
    this.requests.failAll(closed);
    for (const room of [...this.rooms.values()]) room.end(closed);
    const socket = this.socket;
    this.socket = undefined;
    this.isSocketOpen = false;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      socket.onclose = () => resolve();
      socket.close(CloseCode.Normal, 'client closed');
    });
  }

  private roomTransport(): RoomTransport {
    const client = this;
    return {
      get isOpen() {
        return client.isSocketOpen;
      },
      join: (frame, settle) => this.send(this.requests.create(frame, settle, false)),
      request: (frame) =>
        new Promise<OkFrame>((resolve, reject) => {
          const request = this.requests.create(
            frame,
            (result) => (result instanceof RoomcastError ? reject(result) : resolve(result)),
            true,
          );
          this.submit(request);
        }),
      forget: (room) => {
        if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
      },
    };
  }

  /** Sends an op now when connected, queues it otherwise (ops queued while disconnected go out in order on the next connection). */
  private submit(request: Request): void {
    if (this.state === 'closed') request.settle(new RoomcastError('unavailable', 'the client is closed'));
    else if (this.isSocketOpen) this.send(request);
    else this.requests.enqueue(request);
  }

  private send(request: Request): void {
    const text = this.requests.encode(request);
    // The server closes the whole connection (1009) on an oversized frame; refuse just this op instead.
    if (text.length * 3 > MAX_FRAME_BYTES && new TextEncoder().encode(text).length > MAX_FRAME_BYTES) {
      request.settle(new RoomcastError('invalid_request', 'frame over 64 KiB: publish large data over REST'));
      return;
    }
    this.socket?.send(text);
  }

  private async open(): Promise<void> {
    let socket: SocketLike;
    try {
      const token = await currentToken(this.options);
      if (this.state === 'closed') return;
      socket = new this.WebSocketClass(this.options.url, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token]);
    } catch (error) {
      if (this.state === 'closed') return;
      this.emit('error', tokenError(error));
      this.retry(undefined);
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (socket === this.socket) this.opened();
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (socket === this.socket) this.received(event.data);
    };
    socket.onclose = (event: { code: number }) => {
      if (socket === this.socket) this.closed(event.code);
    };
    // Every error is followed by a close event, handled there.
    socket.onerror = () => undefined;
  }

  private opened(): void {
    this.reconnector.opened();
    this.isSocketOpen = true;
    this.setState('open');
    // Joins first: an op queued for a room reaches the server after that room's join.
    for (const room of [...this.rooms.values()]) room.subscribe();
    for (const request of this.requests.takeQueued()) this.send(request);
  }

  private received(data: unknown): void {
    const frame = parseServerFrame(data);
    if (frame?.op === 'event') this.rooms.get(frame.room)?.deliver(frame);
    else if (frame?.op === 'presence') this.rooms.get(frame.room)?.updatePresence(frame);
    else if (frame) this.requests.reply(frame);
  }

  private closed(code: number): void {
    this.socket = undefined;
    this.isSocketOpen = false;
    this.requests.failAwaiting(new RoomcastError('unavailable', `the connection closed (${code}) before the reply`));
    for (const room of this.rooms.values()) room.disconnected();
    if (code === CloseCode.TokenExpired && !this.options.getToken) return this.tokenExpired();
    this.retry(code);
  }

  private retry(closeCode: number | undefined): void {
    const retry = this.reconnector.schedule(closeCode);
    this.setState('reconnecting');
    this.emit('retry', retry);
  }
}
