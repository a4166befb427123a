import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { ClientProtocol, Resume } from './client-protocols.js';
import type { DeliverySink } from './delivery-sink.js';
import { SubscriberPhase } from './subscriber-phase.js';
import { type FrameHandler, FrameReader } from './frame-reader.js';
import { Opcode, clientFrame } from './frame-writer.js';

const HEADER_END = Buffer.from('\r\n\r\n');

type Phase = 'upgrading' | 'handshaking' | 'open' | 'subscribing' | 'ready' | 'closed';

/**
 * A cheap WebSocket subscriber on a bare TCP socket: it counts the frames it receives and
 * decodes only the ones it samples (plus handshake and keepalive frames).
 */
export class Subscriber implements FrameHandler {
  private socket: Socket | undefined;
  private readonly phase: SubscriberPhase<Phase>;
  private response = Buffer.alloc(0);
  private readonly reader = new FrameReader(this);
  private subscribeReply: string | undefined;

  constructor(
    readonly room: string,
    readonly protocol: ClientProtocol,
    private readonly sink: DeliverySink,
    /** Where a rejoin picks up (roomcast); absent: a first join. */
    private readonly resume?: Resume,
  ) {
    this.phase = new SubscriberPhase<Phase>('upgrading', sink, () => this.socket?.destroy());
  }

  /** The text of the reply to the subscribe frame, once it came. */
  get reply(): string | undefined {
    return this.subscribeReply;
  }

  get isReady(): boolean {
    return this.phase.value === 'ready';
  }

  /** Resolves once the upgrade and the protocol's handshake are done; `localAddress`: the address to connect from. */
  open(host: string, port: number, localAddress?: string): Promise<void> {
    const done = this.phase.wait();
    const socket = connect({ host, port, noDelay: true, localAddress });
    this.socket = socket;
    socket.on('connect', () => socket.write(this.upgradeRequest(host, port)));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.phase.fail(error));
    socket.on('close', () => this.phase.closed());
    return done;
  }

  /** Resolves once subscribed to the room (at once when the handshake subscribed already). */
  subscribe(): Promise<void> {
    const frame = this.protocol.subscribeFrame?.(this.room, this.resume);
    if (frame === undefined) return Promise.resolve();
    const done = this.phase.wait();
    this.phase.set('subscribing');
    this.sendText(frame);
    return done;
  }

  close(): void {
    this.phase.close();
  }

  wantsPayload(opcode: number, length: number): boolean {
    if (this.phase.value !== 'ready' || opcode !== Opcode.text || length <= 1) return true;
    // One message in `sampleEvery` on average, each subscriber at its own random positions.
    return Math.random() * this.sink.sampleEvery < 1;
  }

  onFrame(opcode: number, payload: Buffer | undefined): void {
    if (opcode === Opcode.ping) return this.send(Opcode.pong, payload ?? Buffer.alloc(0));
    if (opcode !== Opcode.text) return;
    if (payload !== undefined && payload.length <= 1 && this.protocol.keepaliveAnswer) {
      const answer = this.protocol.keepaliveAnswer(payload.toString());
      if (answer !== undefined) return this.sendText(answer);
    }
    if (this.phase.value === 'ready') {
      this.sink.delivered++;
      if (payload !== undefined) this.sink.sample(payload);
    } else if (this.phase.value === 'handshaking') {
      if (this.protocol.handshake!(payload!.toString(), (text) => this.sendText(text))) this.handshakeDone();
    } else if (this.phase.value === 'subscribing') {
      this.subscribeReply = payload!.toString();
      const refusal = this.protocol.subscribeRefusal?.(this.subscribeReply);
      if (refusal === undefined) this.phase.advance('ready');
      else this.phase.fail(new Error(`subscribe refused: ${refusal}`));
    }
  }

  private upgradeRequest(host: string, port: number): string {
    const headers = {
      host: `${host}:${port}`,
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': randomBytes(16).toString('base64'),
      'sec-websocket-version': '13',
      ...this.protocol.upgradeHeaders,
    };
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
    return `GET ${this.protocol.upgradePath(this.room)} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
  }

  private receive(chunk: Buffer): void {
    if (this.phase.value !== 'upgrading') return this.reader.push(chunk);
    this.response = Buffer.concat([this.response, chunk]);
    const end = this.response.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.response.toString('latin1', 0, end);
    const rest = this.response.subarray(end + HEADER_END.length);
    this.response = Buffer.alloc(0);
    if (!head.startsWith('HTTP/1.1 101')) {
      return this.phase.fail(new Error(`upgrade refused: ${head.split('\r\n')[0]} ${rest.toString().slice(0, 200)}`));
    }
    if (this.protocol.handshake) this.phase.set('handshaking');
    else this.handshakeDone();
    if (rest.length > 0) this.reader.push(rest);
  }

  /** Without a subscribe frame, the handshake itself subscribed (the room is in its query). */
  private handshakeDone(): void {
    this.phase.advance(this.protocol.subscribeFrame ? 'open' : 'ready');
  }

  private sendText(text: string): void {
    this.send(Opcode.text, Buffer.from(text));
  }

  private send(opcode: number, payload: Buffer): void {
    this.socket?.write(clientFrame(opcode, payload));
  }
}
