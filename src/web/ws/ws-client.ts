import type { WebSocket } from 'ws';
import type { User } from '../../domain/user.js';
import type { ClientEvents } from '../hub/client-events.js';
import { QueuedClient } from '../hub/queued-client.js';
import { type Frame, WEBSOCKET_ENCODING } from './codec.js';
import { FrameWriter } from './frame-writer.js';

/**
 * One WebSocket connection as a Hub client: frames written beside ws (see FrameWriter), a close
 * frame to close, ping and pong for keepalive. Its end is driven by the socket's `close`.
 */
export class WsClient extends QueuedClient<Frame> {
  protected readonly encoding = WEBSOCKET_ENCODING;
  private readonly writer: FrameWriter;

  constructor(
    private readonly socket: WebSocket,
    user: User,
    queueLimitBytes: number,
    expiresAtMs: number | undefined,
    protected readonly events: ClientEvents<WsClient>,
  ) {
    super(user, queueLimitBytes, expiresAtMs);
    this.writer = new FrameWriter(socket);
    // Any frame from the peer proves it alive: a busy client's pong may wait behind its own frames.
    const markAlive = () => this.markAlive();
    socket.on('pong', markAlive);
    socket.on('message', markAlive);
    socket.once('close', () => this.ended());
  }

  /** A connection lives on without the room: its other rooms, and its ops, are the user's still. */
  evicted(): void {}

  protected get transportBufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  protected write(frame: Frame, written?: () => void): void {
    this.writer.write(frame, written);
  }

  protected sendClose(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  protected terminate(): void {
    this.socket.terminate();
  }

  protected ping(): void {
    this.socket.ping();
  }
}
