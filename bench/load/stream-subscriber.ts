import { connect, type Socket } from 'node:net';
import type { DeliverySink } from './delivery-sink.js';
import { SubscriberPhase } from './subscriber-phase.js';

const HEAD_END = Buffer.from('\r\n\r\n');
const READY = Buffer.from('event: ready\n');
const EVENT = Buffer.from('event: event\n');
/** Bytes kept from the end of one read for the next: a marker may straddle two reads. */
const CARRY_BYTES = Math.max(READY.length, EVENT.length) - 1;

type Phase = 'connecting' | 'open' | 'subscribing' | 'ready' | 'closed';

/**
 * A cheap Server-Sent Events subscriber (roomcast's `GET /v1/rooms/:room/stream`) on a bare TCP
 * socket: `open` connects, `subscribe` sends the request and waits for `event: ready`; from then
 * on it counts the `event: event` messages and decodes only the data lines it samples. The server
 * writes each message whole, so a marker is only ever split by a read boundary, which the bytes
 * carried over from the previous read cover.
 */
export class StreamSubscriber {
  private socket: Socket | undefined;
  private readonly phase: SubscriberPhase<Phase>;
  private head: Buffer = Buffer.alloc(0);
  private isHeadRead = false;
  private carry: Buffer = Buffer.alloc(0);

  constructor(
    readonly room: string,
    readonly token: string,
    private readonly sink: DeliverySink,
  ) {
    this.phase = new SubscriberPhase<Phase>('connecting', sink, () => this.socket?.destroy());
  }

  get isReady(): boolean {
    return this.phase.value === 'ready';
  }

  /** Resolves once the TCP connection is up. */
  open(host: string, port: number): Promise<void> {
    const done = this.phase.wait();
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.on('connect', () => this.phase.advance('open'));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.phase.fail(error));
    socket.on('close', () => this.phase.closed());
    return done;
  }

  /** Resolves once the stream's `ready` came. */
  subscribe(): Promise<void> {
    const done = this.phase.wait();
    this.phase.set('subscribing');
    const { remoteAddress, remotePort } = this.socket!;
    this.socket!.write(
      `GET /v1/rooms/${this.room}/stream HTTP/1.1\r\nhost: ${remoteAddress}:${remotePort}\r\n` +
        `authorization: Bearer ${this.token}\r\naccept: text/event-stream\r\n\r\n`,
    );
    return done;
  }

  close(): void {
    this.phase.close();
  }

  private receive(chunk: Buffer): void {
    if (!this.isHeadRead) {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf(HEAD_END);
      if (end < 0) return;
      const statusLine = this.head.toString('latin1', 0, this.head.indexOf('\r\n'));
      if (!statusLine.startsWith('HTTP/1.1 200')) {
        return this.phase.fail(
          new Error(`stream refused: ${statusLine} ${this.head.toString('utf8', end + 4, end + 204)}`),
        );
      }
      this.isHeadRead = true;
      chunk = this.head.subarray(end + HEAD_END.length);
    }
    const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let from = 0;
    if (this.phase.value === 'subscribing') {
      const ready = bytes.indexOf(READY);
      if (ready >= 0) {
        from = ready + READY.length;
        this.phase.advance('ready');
      }
    }
    if (this.phase.value === 'ready') this.count(bytes, from);
    this.carry = bytes.subarray(Math.max(from, bytes.length - CARRY_BYTES));
  }

  private count(bytes: Buffer, from: number): void {
    for (let at = bytes.indexOf(EVENT, from); at >= 0; at = bytes.indexOf(EVENT, at + EVENT.length)) {
      this.sink.delivered++;
      // One message in `sampleEvery` on average, each subscriber at its own random positions.
      if (Math.random() * this.sink.sampleEvery >= 1) continue;
      const lineEnd = bytes.indexOf(10, at + EVENT.length);
      if (lineEnd > 0) this.sink.sample(bytes.subarray(at + EVENT.length, lineEnd));
    }
  }
}
