import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceUrl, skipReason } from '../support/services.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

const redisUrl = serviceUrl('REDIS_URL');
const LIMITS = { REST_CALLS_PER_SECOND: '5', REST_CALLS_BURST: '10' };

describe.skipIf(!redisUrl)(`REST rate limits shared through Redis ${redisUrl ? '' : skipReason('REDIS_URL')}`, () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    const shared = { ...LIMITS, REDIS_URL: redisUrl!, REDIS_PREFIX: `roomcast-test-${randomUUID()}` };
    first = await startTestServer(shared);
    second = await startTestServer(shared, first.database);
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it("counts a user's calls on every node together", async () => {
    const ann = await signToken('ann');
    const call = (server: TestServer) => request(server.baseUrl).get('/v1/rooms').set('Authorization', `Bearer ${ann}`);
    const firstStatuses = await Promise.all(Array.from({ length: 10 }, () => call(first)));
    expect(firstStatuses.every((response) => response.status === 200)).toBe(true);
    // The burst is spent on the first node: the second refuses at once.
    const refused = await call(second);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

describe('the client address behind a proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Development mode (no AUTH_SECRET): the token route is limited per client address.
    server = await startTestServer({ ...LIMITS, AUTH_SECRET: '', TRUST_PROXY: '1' });
  });
  afterAll(() => server?.stop());

  const devToken = (forwardedFor: string) =>
    request(server.baseUrl)
      .post('/v1/dev/tokens')
      .set('X-Forwarded-For', forwardedFor)
      .send({ userId: 'u', name: 'U' });

  it('is read from X-Forwarded-For when TRUST_PROXY is set: each client has its own limit', async () => {
    const one = await Promise.all(Array.from({ length: 15 }, () => devToken('203.0.113.1')));
    expect(one.filter((response) => response.status === 429).length).toBeGreaterThan(0);
    expect((await devToken('203.0.113.2')).status).toBe(201);
  });
});
