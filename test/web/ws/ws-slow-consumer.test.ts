import type { ClientRequestArgs } from 'node:http';
import { type Socket, createConnection } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, spawnServer } from '../../support/child-server.js';
import { onEvent, when } from '../../support/eventually.js';
import { createRoom } from '../../support/rest.js';
import { signToken } from '../../support/tokens.js';

const EVENTS = 20_000;
const HEALTHY_CLIENTS = 20;
const QUEUE_LIMIT = 256 * 1024;
const PAYLOAD = 'x'.repeat(500);
/** What the stream may add to the server's memory: 20,000 events of ~560 bytes is ~11 MB of frames. */
const RSS_GROWTH_BOUND = 100 * 2 ** 20;

let server: ChildServer;
let service: string;

beforeAll(async () => {
  // The stalled client cannot answer pings either: keepalive must not end it before its queue overflows.
  server = await spawnServer({
    SEND_QUEUE_LIMIT: String(QUEUE_LIMIT),
    MAX_CONNECTIONS_PER_USER: '100',
    PING_INTERVAL_MS: '600000',
  });
  service = await signToken('backend', { scope: 'service' });
});
afterAll(() => server?.stop());

/** A subscriber that only keeps the seqs it receives, so the test itself stays light. */
class SeqCounter {
  readonly seqs: number[] = [];
  closeCode: number | undefined;
  tcp: Socket | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { op: string; seq?: number };
      if (frame.op === 'event') this.seqs.push(frame.seq!);
    });
    socket.on('close', (code) => (this.closeCode = code));
  }

  static async join(room: string): Promise<SeqCounter> {
    let tcp: Socket | undefined;
    const socket = new WebSocket(server.wsUrl, ['roomcast.v1', `roomcast.token.${service}`], {
      createConnection: (options: ClientRequestArgs) => {
        tcp = createConnection({ host: options.host ?? '127.0.0.1', port: Number(options.port) });
        return tcp;
      },
    });
    const counter = new SeqCounter(socket);
    counter.tcp = tcp;
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const reply = new Promise<{ op: string }>((resolve) =>
      socket.once('message', (data) => resolve(JSON.parse(data.toString()))),
    );
    socket.send(JSON.stringify({ op: 'join', room, id: 1 }));
    expect(await reply).toMatchObject({ op: 'ok' });
    return counter;
  }
}

/** Publishes `count` events over one service connection, many in flight at once; resolves when all are stored. */
async function publishMany(room: string, count: number): Promise<void> {
  const socket = new WebSocket(server.wsUrl, ['roomcast.v1', `roomcast.token.${service}`]);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let acknowledged = 0;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as { op: string };
      if (reply.op !== 'ok') reject(new Error(`publish refused: ${data.toString()}`));
      acknowledged += 1;
      if (acknowledged === count) resolve();
    });
  });
  for (let i = 0; i < count; i += 1) {
    socket.send(JSON.stringify({ op: 'publish', room, type: 'tick', data: { i, PAYLOAD }, id: i }));
  }
  await done;
  socket.close();
}

describe('a slow consumer', () => {
  it('is closed with 1013 without slowing the healthy clients, who get every event in order', async () => {
    const room = 'firehose';
    await createRoom(server.baseUrl, service, room);
    const healthy = await Promise.all(Array.from({ length: HEALTHY_CLIENTS }, () => SeqCounter.join(room)));
    const stalled = await SeqCounter.join(room);
    // Stop reading: the kernel buffers fill, then the server's queue for this client does.
    stalled.tcp!.pause();

    // Measure the stream alone: the embedded database's first start leaves a large resident heap.
    const baselineRss = await server.resetPeakRss();
    // Once the server gives up on it, the stalled client reads again, so that the close frame
    // reaches it before the server's close handshake times out (30 s) and cuts the socket (1006).
    const resumedAfterOverflow = server
      .waitForLog((line) => line.msg === 'slow consumer: closing with 1013', 'the overflow', { timeoutMs: 120_000 })
      .then(() => stalled.tcp!.resume());
    const publishers = 4;
    await Promise.all(Array.from({ length: publishers }, () => publishMany(room, EVENTS / publishers)));

    const expected = Array.from({ length: EVENTS }, (_, i) => i + 1);
    await Promise.all(
      healthy.map((client, i) =>
        when(
          () => client.seqs.length >= EVENTS,
          onEvent(client.socket, 'message'),
          120_000,
          `every event delivered to healthy client ${i}`,
        ),
      ),
    );
    for (const client of healthy) {
      expect(client.seqs).toEqual(expected);
      expect(client.closeCode).toBeUndefined();
    }

    await resumedAfterOverflow;
    await when(
      () => stalled.closeCode !== undefined,
      onEvent(stalled.socket, 'close'),
      30_000,
      'the stalled client closed',
    );
    expect(stalled.closeCode).toBe(1013);
    expect(stalled.seqs.length).toBeLessThan(EVENTS);

    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toContain('roomcast_connections_closed_total{reason="overflow"} 1');
    const peakRss = await server.peakRssBytes();
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `slow consumer: server RSS ${mib(baselineRss)} before the stream, peak ${mib(peakRss)} during it ` +
        `(+${mib(peakRss - baselineRss)}) for ${EVENTS} events × ${HEALTHY_CLIENTS + 1} clients`,
    );
    expect(peakRss - baselineRss).toBeLessThan(RSS_GROWTH_BOUND);
    for (const client of healthy) client.socket.close();
  }, 180_000);
});
