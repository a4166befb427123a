import { randomBytes } from 'node:crypto';

export const Opcode = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One masked client-to-server frame (RFC 6455 requires clients to mask). */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = 0x80 | length;
  } else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, headerLength);
  const payloadStart = headerLength + 4;
  for (let i = 0; i < length; i++) frame[payloadStart + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}
