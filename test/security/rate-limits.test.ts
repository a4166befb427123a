import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    WS_OPS_PER_SECOND: '5',
    WS_OPS_BURST: '10',
    REST_CALLS_PER_SECOND: '5',
    REST_CALLS_BURST: '10',
  });
});
afterAll(() => server?.stop());

describe('REST rate limit', () => {
  it('answers 429 rate_limited with Retry-After past the burst, per user, and exempts service tokens', async () => {
    const ann = await signToken('ann');
    const statuses = await Promise.all(
      Array.from({ length: 30 }, () => request(server.baseUrl).get('/v1/rooms').set('Authorization', `Bearer ${ann}`)),
    );
    const refused = statuses.filter((response) => response.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(15);
    expect(refused[0]!.body.error.code).toBe('rate_limited');
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const bob = await signToken('bob');
    await request(server.baseUrl).get('/v1/rooms').set('Authorization', `Bearer ${bob}`).expect(200);
    const service = await signToken('backend', { scope: 'service' });
    const serviceStatuses = await Promise.all(
      Array.from({ length: 30 }, () =>
        request(server.baseUrl).get('/v1/rooms').set('Authorization', `Bearer ${service}`),
      ),
    );
    expect(serviceStatuses.every((response) => response.status === 200)).toBe(true);
  });
});

describe('WebSocket op rate limit', () => {
  it('answers rate_limited past the burst, echoing the id', async () => {
    const client = await WsTestClient.connect(server.wsUrl, await signToken('carl'));
    for (let id = 1; id <= 30; id += 1) client.socket.send(JSON.stringify({ op: 'dance', id }));
    await client.waitFor(() => client.frames.filter((frame) => frame.op === 'error').length === 30);
    const limited = client.frames.filter((frame) => frame.code === 'rate_limited');
    expect(limited.length).toBeGreaterThanOrEqual(15);
    expect(limited.every((frame) => typeof frame.id === 'number')).toBe(true);
    expect(client.frames.filter((frame) => frame.code === 'unknown_op').length).toBeGreaterThanOrEqual(5);
    await client.close();
  });

  it('closes with 1008 a connection that stays over the limit for 10 s', async () => {
    const client = await WsTestClient.connect(server.wsUrl, await signToken('dora'));
    const started = Date.now();
    const flood = setInterval(() => client.socket.send(JSON.stringify({ op: 'dance' })), 20);
    try {
      expect(await client.waitFor(() => client.closeCode, 20_000)).toBe(1008);
    } finally {
      clearInterval(flood);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
  }, 30_000);
});

describe('the development-mode token route', () => {
  it('is limited per IP, and that limit touches no other route', async () => {
    const dev = await startTestServer({ AUTH_SECRET: '', REST_CALLS_PER_SECOND: '5', REST_CALLS_BURST: '10' });
    try {
      const issue = (userId: string) => request(dev.baseUrl).post('/v1/dev/tokens').send({ userId });
      const tokens = await Promise.all(
        ['ann', 'bob', 'carl'].map(async (id) => (await issue(id)).body.token as string),
      );
      // Three users on one IP, each within their own limit: 24 calls, more than one IP's burst.
      const calls = tokens.flatMap((token) =>
        Array.from({ length: 8 }, () => request(dev.baseUrl).get('/v1/rooms').set('Authorization', `Bearer ${token}`)),
      );
      expect((await Promise.all(calls)).map((response) => response.status)).toEqual(calls.map(() => 200));
      const flood = await Promise.all(Array.from({ length: 20 }, (_, i) => issue(`user-${i}`)));
      expect(flood.filter((response) => response.status === 429).length).toBeGreaterThanOrEqual(5);
    } finally {
      await dev.stop();
    }
  });
});
