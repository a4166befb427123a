import { Sender } from 'ws';
import type { ErrorCode } from '../error-codes.js';
import type { MessageEncoding } from '../hub/outbound-message.js';

/** A frame's reply id, echoed as it came. */
export type FrameId = string | number | undefined;

const TEXT_FRAME = { fin: true, opcode: 0x1, mask: false, readOnly: false, rsv1: false } as const;

/**
 * A server frame, encoded once and shared by every connection it goes to: its JSON text, and the
 * WebSocket frame that carries it, framed once here rather than by ws for each connection. ws
 * exports `Sender.frame` for this (websockets/ws#1016: a broadcast frames its message once).
 */
export class Frame {
  private constructor(
    /** The bytes as they go on the wire: the frame's header, then the payload. */
    readonly wire: Buffer,
    /** The JSON text (a view into `wire`). */
    readonly payload: Buffer,
  ) {}

  static text(json: string): Frame {
    const payload = Buffer.from(json);
    const wire = Buffer.concat(Sender.frame(payload, TEXT_FRAME));
    return new Frame(wire, wire.subarray(wire.length - payload.length));
  }

  /** What it takes in a send queue and in the socket's buffer. */
  get byteLength(): number {
    return this.wire.length;
  }
}

/** A Hub message as a push: `{"op":"event", ...}` or `{"op":"presence", ...}`, its JSON led by the op. */
export const WEBSOCKET_ENCODING: MessageEncoding<Frame> = {
  encode: (message) => Frame.text(`{"op":"${message.kind}",${message.json.slice(1)}`),
};

/** The `ok` reply to a client frame, with the op's result fields. */
export function encodeOk(id: FrameId, fields: Record<string, unknown> = {}): Frame {
  return Frame.text(JSON.stringify({ op: 'ok', id, ...fields }));
}

/** The `error` reply to a client frame. */
export function encodeError(id: FrameId, code: ErrorCode, message: string): Frame {
  return Frame.text(JSON.stringify({ op: 'error', id, code, message }));
}
