import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TurnCork } from '../turn-cork.js';

/**
 * Writes an event stream's messages, already framed for the response (see SSE_CHUNKED_ENCODING),
 * to the TCP socket under it, and coalesces the writes of one turn of the event loop into one.
 * `res.write` would frame each message again for every stream: a size line and two CRLFs, four
 * socket writes a message (bench/README.md, "What the fan-out costs"); here a message is
 * framed once and the same bytes go to every stream. Writing beside the response is sound because
 * nothing else writes to it between its head and its end: the head is flushed before the first
 * message, and `res.end` (the closing message and the last chunk) comes after the last one.
 */
export class SseWriter {
  private readonly socket: Socket;
  private readonly cork: TurnCork;

  constructor(res: ServerResponse) {
    this.socket = res.socket!;
    this.cork = new TurnCork(this.socket);
  }

  /** Writes the bytes, and calls `written` once the socket has taken them; nothing once the socket is gone. */
  write(bytes: Buffer, written?: () => void): void {
    if (this.socket.destroyed) return;
    this.cork.holdForTurn();
    this.socket.write(bytes, written);
  }
}
