import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient, refusedUpgrade } from '../support/ws-test-client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ MAX_CONNECTIONS_PER_USER: '3' });
});
afterAll(() => server?.stop());

describe('connections per user', () => {
  it('refuses the upgrade past the limit with 429, counts users apart, and frees a slot on close', async () => {
    const ann = await signToken('ann');
    const clients = await Promise.all([1, 2, 3].map(() => WsTestClient.connect(server.wsUrl, ann)));
    expect((await refusedUpgrade(server.wsUrl, ['roomcast.v1', `roomcast.token.${ann}`])).status).toBe(429);
    const bob = await WsTestClient.connect(server.wsUrl, await signToken('bob'));
    await clients[0]!.close();
    await server.untilConnectionsClosed(1);
    const again = await WsTestClient.connect(server.wsUrl, ann);
    await Promise.all([...clients.slice(1), bob, again].map((client) => client.close()));
  });
});

describe('token expiry while connected', () => {
  it('closes the socket with 4001 when the token expires', async () => {
    // Expired 4 s ago: still inside the 5 s clock tolerance at the upgrade, past it a second later.
    const token = await signToken('ann', { expiresIn: -4 });
    const client = await WsTestClient.connect(server.wsUrl, token);
    const started = Date.now();
    expect(await client.closed()).toBe(4001);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('HTTP headers', () => {
  it('sends helmet headers and no X-Powered-By', async () => {
    const response = await request(server.baseUrl).get('/healthz');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['content-security-policy']).toBeDefined();
  });
});
