/** Receives the frames a `FrameReader` finds. */
export interface FrameHandler {
  /** Called at each frame header: true to have its payload assembled, false to skip it unread. */
  wantsPayload(opcode: number, length: number): boolean;
  /** Called at each frame's end, with the payload when it was wanted. */
  onFrame(opcode: number, payload: Buffer | undefined): void;
}

/**
 * Finds WebSocket frames (RFC 6455, unmasked: server to client) in a byte stream, without
 * copying or decoding payloads nobody wants: counting frames costs a header read each.
 * Servers under test never fragment their small messages, so each frame is one message.
 */
export class FrameReader {
  private leftover: Buffer | undefined;
  private remaining = 0;
  private opcode = 0;
  private parts: Buffer[] | undefined;

  constructor(private readonly handler: FrameHandler) {}

  push(chunk: Buffer): void {
    const data = this.leftover ? Buffer.concat([this.leftover, chunk]) : chunk;
    this.leftover = undefined;
    let offset = 0;
    while (offset < data.length) {
      if (this.remaining > 0) {
        const end = Math.min(offset + this.remaining, data.length);
        this.parts?.push(data.subarray(offset, end));
        this.remaining -= end - offset;
        offset = end;
        if (this.remaining === 0) this.finishFrame();
        continue;
      }
      const payloadStart = this.readHeader(data, offset);
      if (payloadStart < 0) {
        // A header split across reads: keep its first bytes for the next chunk.
        this.leftover = Buffer.from(data.subarray(offset));
        return;
      }
      offset = payloadStart;
      if (this.remaining === 0) this.finishFrame();
    }
  }

  /** Reads the header at `offset`; returns where the payload starts, or -1 when the header is incomplete. */
  private readHeader(data: Buffer, offset: number): number {
    if (data.length - offset < 2) return -1;
    const first = data[offset]!;
    const second = data[offset + 1]!;
    if (second & 0x80) throw new Error('server sent a masked frame');
    let length = second & 0x7f;
    let position = offset + 2;
    if (length === 126) {
      if (data.length - position < 2) return -1;
      length = data.readUInt16BE(position);
      position += 2;
    } else if (length === 127) {
      if (data.length - position < 8) return -1;
      length = Number(data.readBigUInt64BE(position));
      position += 8;
    }
    this.opcode = first & 0x0f;
    this.remaining = length;
    this.parts = this.handler.wantsPayload(this.opcode, length) ? [] : undefined;
    return position;
  }

  private finishFrame(): void {
    const parts = this.parts;
    this.parts = undefined;
    const payload = parts === undefined ? undefined : parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.handler.onFrame(this.opcode, payload);
  }
}
