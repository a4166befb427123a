import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventuallyAsync } from '../support/eventually.js';
import { bearer, createRoom } from '../support/rest.js';
import { openStream } from '../support/sse-test-client.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

const METRICS_TOKEN = 'scrape-me';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ METRICS_TOKEN });
});
afterAll(() => server?.stop());

/** The value of one sample line in the Prometheus text. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (!line) throw new Error(`no sample ${name}`);
  return Number(line.slice(name.length + 1));
}

async function scrape(): Promise<string> {
  const response = await request(server.baseUrl).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain');
  return response.text;
}

describe('/metrics', () => {
  it('requires METRICS_TOKEN when it is set', async () => {
    expect((await request(server.baseUrl).get('/metrics')).status).toBe(401);
    expect((await request(server.baseUrl).get('/metrics').set('Authorization', 'Bearer wrong')).status).toBe(401);
  });

  it('reports connections, subscriptions, rooms, events, deliveries, request durations and process metrics', async () => {
    const token = await signToken('ann');
    const auth = { Authorization: `Bearer ${token}` };
    await request(server.baseUrl).post('/v1/rooms').set(auth).send({ id: 'metered', name: 'Metered' }).expect(201);
    const clients = await Promise.all([1, 2].map(() => WsTestClient.connect(server.wsUrl, token)));
    for (const client of clients) await client.request({ op: 'join', room: 'metered' });
    await request(server.baseUrl)
      .post('/v1/rooms/metered/events')
      .set(auth)
      .send({ type: 'tick', data: 1 })
      .expect(201);
    for (const client of clients) await client.waitFor(() => client.events('metered').length === 1);

    const text = await scrape();
    expect(sample(text, 'roomcast_connections{transport="websocket"}')).toBe(2);
    expect(sample(text, 'roomcast_connections{transport="sse"}')).toBe(0);
    expect(sample(text, 'roomcast_subscriptions')).toBe(2);
    expect(sample(text, 'roomcast_rooms_with_subscribers')).toBe(1);
    expect(sample(text, 'roomcast_events_published_total')).toBe(1);
    expect(sample(text, 'roomcast_messages_delivered_total')).toBe(2);
    expect(sample(text, 'roomcast_connections_opened_total')).toBe(2);
    expect(sample(text, 'roomcast_send_queue_bytes')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('roomcast_connections_closed_total{reason="overflow"} 0');
    expect(text).toContain('roomcast_connections_closed_total{reason="missed-pong"} 0');
    expect(text).toMatch(
      /roomcast_http_request_duration_seconds_count\{method="POST",route="\/v1\/rooms\/:room\/events",status="201"\} 1/,
    );
    expect(text).toContain('process_resident_memory_bytes');

    await Promise.all(clients.map((client) => client.close()));
    await server.untilConnectionsClosed();
    const after = await scrape();
    expect(after).toContain('roomcast_connections_closed_total{reason="closed"} 2');
    expect(sample(after, 'roomcast_connections{transport="websocket"}')).toBe(0);
  });

  it('counts event streams under transport="sse", and their ends among the connections closed', async () => {
    const token = await signToken('sue');
    await createRoom(server.baseUrl, token, 'streamed');
    const closedBefore = sample(await scrape(), 'roomcast_connections_closed_total{reason="closed"}');
    const stream = await openStream(server.baseUrl, '/v1/rooms/streamed/stream', bearer(token));
    await stream.waitFor(() => stream.messages.length > 0, 'ready');
    const text = await scrape();
    expect(sample(text, 'roomcast_connections{transport="sse"}')).toBe(1);
    expect(sample(text, 'roomcast_connections{transport="websocket"}')).toBe(0);
    stream.close();
    // A poll: only a scrape tells when the server has seen the stream end.
    await eventuallyAsync(
      async () => sample(await scrape(), 'roomcast_connections{transport="sse"}') === 0,
      5_000,
      'the stream counted closed',
    );
    expect(sample(await scrape(), 'roomcast_connections_closed_total{reason="closed"}')).toBe(closedBefore + 1);
  });
});
