import type { ReconnectOptions } from './backoff.js';
import type { Environment } from './environment.js';
import { type ErrorCode, RoomcastError } from './errors.js';
import { EventStreamParser, type StreamMessage } from './event-stream.js';
import {
  type ClientFrame,
  CloseCode,
  type EventFrame,
  type JoinFrame,
  type OkFrame,
  type PresenceFrame,
} from './protocol.js';
import { Reconnector, type RetryInfo } from './reconnector.js';
import type { Settle } from './requests.js';
import type { Room, RoomTransport } from './room.js';
import { type TokenSource, currentToken, tokenError } from './tokens.js';

/** What every stream of one client shares. */
export interface StreamSettings extends TokenSource {
  /** The server's base URL: streams are opened at `<baseUrl>/v1/rooms/<room>/stream`. */
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  readonly reconnect: Required<ReconnectOptions>;
  readonly environment: Environment;
  /** How long a REST call (leave) may take. */
  readonly requestTimeoutMs: number;
}

/** What a room's stream tells the client it belongs to. */
export interface StreamOwner {
  /** The stream opened, or dropped: the client's state may change. */
  changed(): void;
  /** A reconnect of this stream was scheduled (after `changed`). */
  retrying(info: RetryInfo): void;
  /** A connection-level problem (`getToken` failed); the stream retries. */
  failed(error: RoomcastError): void;
  /** A fixed token expired (close 4001): there is no fresh one to reconnect with. */
  tokenExpired(): void;
  /** The room wants nothing more from the client. */
  forget(room: { readonly id: string }): void;
}

const READ_ONLY = 'the sse transport is read-only: publish over REST or with the websocket transport';

/**
 * One room over Server-Sent Events: a stream of its own, fetched with the token in a header,
 * reopened after every drop with `Last-Event-ID` = the last seq the room delivered (and its epoch),
 * with the same backoff, close codes and wake-ups as the WebSocket client. Read-only: a `leave` is
 * a REST call, a `filter` reopens the stream with the new types, a `publish` is refused.
 */
export class RoomStream implements RoomTransport {
  private room!: Room<object>;
  private readonly reconnector: Reconnector;
  /** The current connection's; a connection that is no longer current ends without a word. */
  private controller: AbortController | undefined;
  private isConnected = false;
  /** Dropped or refused, and waiting for the next attempt. */
  isRetrying = false;
  hasOpened = false;

  constructor(
    private readonly settings: StreamSettings,
    private readonly owner: StreamOwner,
  ) {
    this.reconnector = new Reconnector(settings.reconnect, settings.environment, () => this.room.subscribe());
  }

  /** Starts streaming `room` (now, or once online). */
  attach(room: Room<object>): void {
    this.room = room;
    this.reconnector.start();
  }

  get isOpen(): boolean {
    return this.isConnected;
  }

  join(frame: JoinFrame, settle: Settle): void {
    void this.connect(frame, settle);
  }

  async request(frame: ClientFrame): Promise<OkFrame> {
    if (frame.op === 'filter') {
      this.disconnect();
      this.room.subscribe();
    } else if (frame.op === 'leave') {
      await this.leave();
    } else if (frame.op !== 'unsubscribe') {
      throw new RoomcastError('invalid_request', READ_ONLY);
    }
    return { op: 'ok', room: frame.room };
  }

  forget(room: { readonly id: string }): void {
    this.reconnector.stop();
    this.disconnect();
    this.isRetrying = false;
    this.owner.forget(room);
  }

  private async connect(frame: JoinFrame, settle: Settle): Promise<void> {
    this.disconnect();
    const controller = new AbortController();
    this.controller = controller;
    let isSettled = false;
    const settleOnce: Settle = (result) => {
      if (isSettled) return;
      isSettled = true;
      settle(result);
    };
    let token: string;
    try {
      token = await currentToken(this.settings);
    } catch (error) {
      if (this.controller !== controller) return;
      this.owner.failed(tokenError(error));
      return this.dropped(undefined, settleOnce);
    }
    let closeCode: number | undefined;
    try {
      const response = await this.settings.fetch(this.streamUrl(frame), {
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'text/event-stream',
          ...(frame.since !== undefined && { 'Last-Event-ID': String(frame.since) }),
        },
        signal: controller.signal,
      });
      if (this.controller !== controller) return;
      if (!response.ok || !response.body) return await this.refused(response, settleOnce);
      this.opened();
      closeCode = await this.read(response.body, settleOnce);
    } catch {
      // A network failure, or the abort of a connection that is no longer current.
    }
    if (this.controller === controller) this.dropped(closeCode ?? 1006, settleOnce);
  }

  /** Hands the stream's messages to the room until it ends; resolves to the close code it sent, if any. */
  private async read(body: ReadableStream<Uint8Array>, settle: Settle): Promise<number | undefined> {
    let closeCode: number | undefined;
    const parser = new EventStreamParser((message: StreamMessage) => {
      const data = JSON.parse(message.data) as Record<string, unknown>;
      if (message.event === 'ready') settle({ ...data, op: 'ok' } as OkFrame);
      else if (message.event === 'event') this.room.deliver({ ...data, op: 'event' } as EventFrame);
      else if (message.event === 'presence') this.room.updatePresence({ ...data, op: 'presence' } as PresenceFrame);
      else if (message.event === 'close') closeCode = data.code as number;
    });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      parser.push(decoder.decode(chunk.value, { stream: true }));
    }
    return closeCode;
  }

  private opened(): void {
    this.isConnected = true;
    this.hasOpened = true;
    this.isRetrying = false;
    this.reconnector.opened();
    this.owner.changed();
  }

  /** A refusal before the stream began: the room's own (access, request) ends it; any other is retried. */
  private async refused(response: Response, settle: Settle): Promise<void> {
    const error = await errorOf(response);
    const isRoomRefusal = [400, 403, 404, 406].includes(response.status) && error;
    if (isRoomRefusal) settle(new RoomcastError(error.code, error.message));
    else this.dropped(1006, settle);
  }

  private dropped(closeCode: number | undefined, settle: Settle): void {
    this.controller = undefined;
    this.isConnected = false;
    // A join still waiting for its ready: the next connection joins again.
    settle(new RoomcastError('unavailable', `the stream closed (${closeCode ?? 1006}) before it was ready`));
    this.room.disconnected();
    if (closeCode === CloseCode.Normal) {
      this.room.endedByServer(new RoomcastError('not_subscribed', `room '${this.room.id}' was left`));
      return;
    }
    if (closeCode === CloseCode.TokenExpired && !this.settings.getToken) return this.owner.tokenExpired();
    this.isRetrying = true;
    const retry = this.reconnector.schedule(closeCode);
    this.owner.changed();
    this.owner.retrying({ ...retry, room: this.room.id });
  }

  private disconnect(): void {
    const controller = this.controller;
    this.controller = undefined;
    this.isConnected = false;
    controller?.abort();
  }

  private streamUrl(frame: JoinFrame): string {
    const query = new URLSearchParams();
    if (frame.types) query.set('types', frame.types.join(','));
    if (frame.epoch !== undefined) query.set('epoch', frame.epoch);
    if (frame.presence === false) query.set('presence', 'false');
    const search = query.toString() ? `?${query.toString()}` : '';
    return `${this.settings.baseUrl}/v1/rooms/${encodeURIComponent(frame.room)}/stream${search}`;
  }

  private async leave(): Promise<void> {
    const token = await currentToken(this.settings);
    let response: Response;
    try {
      response = await this.settings.fetch(
        `${this.settings.baseUrl}/v1/rooms/${encodeURIComponent(this.room.id)}/members/me`,
        {
          method: 'DELETE',
          headers: { Authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
        },
      );
    } catch (error) {
      throw new RoomcastError('unavailable', `leave failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.ok) return;
    const error = await errorOf(response);
    throw new RoomcastError(error?.code ?? 'unavailable', error?.message ?? `leave: ${response.status}`);
  }
}

/** The server's error body (`{"error": {code, message}}`) of a refused request, if it sent one. */
async function errorOf(response: Response): Promise<{ code: ErrorCode; message: string } | undefined> {
  const body = (await response.json().catch(() => undefined)) as { error?: { code: ErrorCode; message: string } };
  return body?.error;
}
