import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, spawnServer } from '../../support/child-server.js';
import { publishOverSockets, seqRange } from '../../support/delivery-subscriber.js';
import { bearer, createRoom } from '../../support/rest.js';
import { type SseTestStream, openStream } from '../../support/sse-test-client.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

const EVENTS = 20_000;
const HEALTHY_STREAMS = 8;
const QUEUE_LIMIT = 256 * 1024;
const PAYLOAD = 'x'.repeat(500);

let server: ChildServer;
let service: string;

beforeAll(async () => {
  // The paused reader takes no ping either: keepalive must not end it before its queue overflows.
  server = await spawnServer({
    SEND_QUEUE_LIMIT: String(QUEUE_LIMIT),
    MAX_CONNECTIONS_PER_USER: '100',
    PING_INTERVAL_MS: '600000',
  });
  service = await signToken('backend', { scope: 'service' });
});
afterAll(() => server?.stop());

function streamOf(room: string): Promise<SseTestStream> {
  return openStream(server.baseUrl, `/v1/rooms/${room}/stream`, bearer(service), { keepEvents: false });
}

describe('a paused event-stream reader', () => {
  it('is closed as a slow consumer (event: close 1013) without slowing the streams and sockets beside it', async () => {
    const room = 'firehose';
    await createRoom(server.baseUrl, service, room);
    const healthy = await Promise.all(Array.from({ length: HEALTHY_STREAMS }, () => streamOf(room)));
    const socket = await WsTestClient.connect(server.wsUrl, service);
    await socket.request({ op: 'join', room });
    const paused = await streamOf(room);
    await paused.waitFor(() => paused.messages.length > 0, 'ready');
    // Stop reading: the kernel buffers fill, then the server's queue for this stream does.
    paused.socket.pause();

    // Once the server gives up on it, the paused reader reads again, to see how its stream ended.
    const resumedAfterOverflow = server
      .waitForLog((line) => line.msg === 'slow consumer: closing with 1013', 'the overflow', { timeoutMs: 120_000 })
      .then(() => paused.socket.resume());
    await publishOverSockets(server.wsUrl, service, room, EVENTS, 4, (i) => ({ i, PAYLOAD }));

    const expected = seqRange(1, EVENTS);
    await Promise.all(
      healthy.map((stream, i) => stream.waitFor(() => stream.ids.length >= EVENTS, `healthy stream ${i}`, 120_000)),
    );
    for (const stream of healthy) {
      expect(stream.ids).toEqual(expected);
      expect(stream.isEnded).toBe(false);
    }
    await socket.waitFor(() => socket.events().length >= EVENTS, 120_000, 'every event on the socket');
    expect(socket.events().map((event) => event.seq)).toEqual(expected);
    expect(socket.closeCode).toBeUndefined();

    await resumedAfterOverflow;
    await paused.ended(30_000);
    expect(paused.data('close')).toEqual([{ code: 1013, reason: 'send queue overflow' }]);
    expect(paused.ids.length).toBeLessThan(EVENTS);
    expect(paused.ids).toEqual(seqRange(1, paused.ids.length));

    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toContain('roomcast_connections_closed_total{reason="overflow"} 1');
    expect(metrics).toContain(`roomcast_connections{transport="sse"} ${HEALTHY_STREAMS}`);
    for (const stream of healthy) stream.close();
    await socket.close();
  }, 180_000);
});
