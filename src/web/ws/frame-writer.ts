import { WebSocket } from 'ws';
import { type Corkable, TurnCork } from '../turn-cork.js';
import type { Frame } from './codec.js';

/** The part of the TCP socket under a ws WebSocket that the writer uses. */
interface TcpSocket extends Corkable {
  write(data: Buffer, written?: () => void): boolean;
}

/**
 * Writes a connection's frames, already framed, to the TCP socket under its ws WebSocket, and
 * coalesces the writes of one turn of the event loop into one.
 * - Framed once: ws's `send` frames its data again for every connection and writes header and
 *   payload apart; a Frame carries its wire bytes, and the same bytes go to every socket.
 * - One write per turn: corking the TCP socket until the turn ends sends all the frames of a
 *   burst (a group-committed batch of events, a replay page) in one writev, with no added delay.
 * Measured in bench/README.md ("What the fan-out costs"). Writing beside ws is sound because ws
 * never compresses here (perMessageDeflate is off): its sender writes each of its own frames (ping,
 * close) whole, at once and in call order, as this writer does, and its `bufferedAmount` counts
 * these writes too. ws keeps the TCP socket as `_socket`; this is the one place that reaches for it.
 */
export class FrameWriter {
  private readonly tcp: TcpSocket;
  private readonly cork: TurnCork;

  constructor(private readonly socket: WebSocket) {
    this.tcp = (socket as unknown as { _socket: TcpSocket })._socket;
    this.cork = new TurnCork(this.tcp);
  }

  /**
   * Writes the frame, and calls `written` once the socket has taken it. Once the WebSocket is
   * closing, nothing more goes out (ws refuses to send then too), and its `close` event follows.
   */
  write(frame: Frame, written?: () => void): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.cork.holdForTurn();
    this.tcp.write(frame.wire, written);
  }
}
