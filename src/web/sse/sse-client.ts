import type { ServerResponse } from 'node:http';
import type { User } from '../../domain/user.js';
import type { ClientEvents } from '../hub/client-events.js';
import { CloseCode } from '../hub/close-codes.js';
import type { MessageEncoding } from '../hub/outbound-message.js';
import type { Announcement } from '../hub/subscription-start.js';
import { QueuedClient } from '../hub/queued-client.js';
import { CHUNKED_FRAMING, PLAIN_FRAMING, type SseFraming, streamMessage } from './sse-encoding.js';
import { SseWriter } from './sse-writer.js';

const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  // nginx buffers proxied responses by default; an event stream must go out as it is written.
  'X-Accel-Buffering': 'no',
};

/** What the owner of a stream hears: its end, as every client's, and its beginning. */
export interface SseClientEvents extends ClientEvents<SseClient> {
  /** The 200 went out: from here on the response is the stream, and its end is reported. */
  started(): void;
}

/**
 * One Server-Sent Events stream as a Hub client, its HTTP response the transport. Nothing is
 * written before `start` (so that a refusal can still be a JSON error); from then on messages go
 * out as chunks of the response (plain bytes to an HTTP/1.0 reader, whose response ends with its
 * connection), a `: ping` comment probes the reader, and a close is an `event: close` message
 * that ends the response. Its end is driven by the response's `close`.
 */
export class SseClient extends QueuedClient<Buffer> {
  /** Plain until the head goes out to an HTTP/1.1 reader: chunked from then on. */
  private framing: SseFraming = PLAIN_FRAMING;
  private writer: SseWriter | undefined;

  constructor(
    private readonly res: ServerResponse,
    user: User,
    queueLimitBytes: number,
    expiresAtMs: number | undefined,
    protected readonly events: SseClientEvents,
  ) {
    super(user, queueLimitBytes, expiresAtMs);
    res.once('close', () => this.ended());
  }

  protected get encoding(): MessageEncoding<Buffer> {
    return this.framing.encoding;
  }

  get isStarted(): boolean {
    return this.writer !== undefined;
  }

  /** Answers 200 with the stream's headers and sends `event: ready` with the room's state; nothing once closing. */
  start(announcement: Announcement): void {
    if (!this.isOpen || !this.begin()) return;
    this.enqueue(this.framing.frame(streamMessage('ready', announcement)));
  }

  /** A stream is its one room: once its user has left the room, the stream is over (1000). */
  evicted(): void {
    this.close(CloseCode.Normal, 'left the room');
  }

  protected get transportBufferedBytes(): number {
    return this.res.writableLength;
  }

  protected write(bytes: Buffer, written?: () => void): void {
    this.writer!.write(bytes, written);
  }

  protected sendClose(code: number, reason: string): void {
    // Closed before it began (a shutdown or an overflow while the room was read): a stream that
    // says so at once. Unless the request was answered otherwise (an error body): that ends itself.
    if (!this.begin()) return;
    this.res.end(streamMessage('close', { code, reason }));
  }

  protected terminate(): void {
    this.res.destroy();
  }

  protected ping(): void {
    // Before the stream begins there is no one to probe: the request is still being answered.
    if (!this.writer) return this.markAlive();
    // After its end, only the reader taking the rest lets the response finish; until then, no sign of life.
    if (this.res.writableEnded) return;
    // Beside the queue, as a WebSocket ping goes beside the frames: written once the reader takes what is before it.
    this.writer.write(this.framing.ping, () => this.markAlive());
  }

  /** Sends the stream's head unless sent already; false when the request was answered otherwise. */
  private begin(): boolean {
    if (this.writer) return true;
    if (this.res.headersSent) return false;
    if (this.res.req.httpVersion !== '1.0') {
      this.res.setHeader('Transfer-Encoding', 'chunked');
      this.framing = CHUNKED_FRAMING;
    }
    this.res.writeHead(200, STREAM_HEADERS);
    this.res.flushHeaders();
    this.writer = new SseWriter(this.res);
    this.events.started();
    return true;
  }
}
