import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';

type SendCallback = (error?: Error) => void;

/** One call the code under test made on the socket, in the order it made them. */
export type SocketCall =
  | { readonly kind: 'send'; readonly data: Buffer; readonly hasCallback: boolean }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string }
  | { readonly kind: 'ping' }
  | { readonly kind: 'terminate' };

/** The payload of an unmasked WebSocket frame (RFC 6455, 5.2). */
function payloadOf(wire: Buffer): Buffer {
  const length = wire[1]! & 0x7f;
  return wire.subarray(length === 126 ? 4 : length === 127 ? 10 : 2);
}

/**
 * A stand-in for ws's WebSocket, with no network: it records every call, each frame written to
 * the TCP socket under it as a send; the test sets `bufferedAmount` and `readyState`, fires each
 * send's callback (`completeSend`) and emits `close` when it chooses.
 */
export class FakeSocket extends EventEmitter {
  /** What ws would report as written but not yet flushed; the test sets it. */
  bufferedAmount = 0;
  readyState: number = WebSocket.OPEN;
  readonly calls: SocketCall[] = [];
  private readonly sendCallbacks: SendCallback[] = [];
  /** The TCP socket under the WebSocket, named as ws names it. */
  readonly _socket = {
    cork: () => undefined,
    uncork: () => undefined,
    write: (wire: Buffer, cb?: SendCallback): boolean => {
      this.calls.push({ kind: 'send', data: payloadOf(wire), hasCallback: cb !== undefined });
      if (cb) this.sendCallbacks.push(cb);
      return true;
    },
  };

  close(code: number, reason: string): void {
    this.calls.push({ kind: 'close', code, reason });
  }

  ping(): void {
    this.calls.push({ kind: 'ping' });
  }

  terminate(): void {
    this.calls.push({ kind: 'terminate' });
  }

  /** Fires the oldest send callback not yet fired, as ws does (in order) once that frame is written. */
  completeSend(error?: Error): void {
    const callback = this.sendCallbacks.shift();
    if (!callback) throw new Error('no send is waiting for its callback');
    callback(error);
  }

  /** How many sends still wait for their callback. */
  get waitingCallbacks(): number {
    return this.sendCallbacks.length;
  }

  /** Emits `close` as ws does once the connection is gone. */
  emitClose(code = 1006, reason = ''): void {
    this.emit('close', code, Buffer.from(reason));
  }

  /** The frames sent, in order. */
  get sent(): Extract<SocketCall, { kind: 'send' }>[] {
    return this.calls.filter((call) => call.kind === 'send');
  }

  get closes(): { code: number; reason: string }[] {
    return this.calls.flatMap((call) => (call.kind === 'close' ? [{ code: call.code, reason: call.reason }] : []));
  }

  get pings(): number {
    return this.calls.filter((call) => call.kind === 'ping').length;
  }

  get terminations(): number {
    return this.calls.filter((call) => call.kind === 'terminate').length;
  }

  /** This fake where a constructor asks for a ws WebSocket (only the members above are used). */
  asWebSocket(): WebSocket {
    return this as unknown as WebSocket;
  }
}
