import { SignJWT, UnsecuredJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTestDatabase } from '../support/databases.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { TEST_SECRET, signToken } from '../support/tokens.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const api = () => request(server.baseUrl);
const secretKey = new TextEncoder().encode(TEST_SECRET);

describe('bearer tokens', () => {
  it('is 401 unauthenticated without a token', async () => {
    const response = await api().get('/v1/rooms');
    expect(response.status).toBe(401);
    expect(response.body.error).toEqual({ code: 'unauthenticated', message: 'missing bearer token' });
  });

  it.each([
    ['a malformed token', async () => 'not-a-jwt'],
    ['a token signed with another secret', () => signToken('ann', { secret: 'another-secret-that-is-long-enough!!' })],
    ['an expired token', () => signToken('ann', { expiresIn: -60 })],
    ['an unsigned (alg none) token', async () => new UnsecuredJWT({ sub: 'ann' }).setExpirationTime('1h').encode()],
    [
      'an HS512 token',
      () =>
        new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject('ann').setExpirationTime('1h').sign(secretKey),
    ],
    [
      'a token without sub',
      () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(secretKey),
    ],
    [
      'a token not valid yet',
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('ann')
          .setNotBefore('1h')
          .setExpirationTime('2h')
          .sign(secretKey),
    ],
  ])('refuses %s with 401', async (_label, makeToken) => {
    const response = await api()
      .get('/v1/rooms')
      .set('Authorization', `Bearer ${await makeToken()}`);
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthenticated');
  });

  it('does not expose the development token endpoint when AUTH_SECRET is set', async () => {
    const response = await api().post('/v1/dev/tokens').send({ userId: 'ann' });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });
});

describe('the HTTP edge', () => {
  it('answers health and readiness', async () => {
    await api().get('/healthz').expect(200);
    await api().get('/readyz').expect(200);
  });

  it('is 404 not_found for unknown routes, with or without a token', async () => {
    const anonymous = await api().get('/v1/nothing-here');
    expect(anonymous.status).toBe(404);
    expect(anonymous.body.error.code).toBe('not_found');
    const withToken = await api()
      .get('/nothing')
      .set('Authorization', `Bearer ${await signToken('ann')}`);
    expect(withToken.status).toBe(404);
  });

  it('sends no X-Powered-By, a request id, and no CORS headers when ALLOWED_ORIGINS is unset', async () => {
    const response = await api().get('/healthz').set('Origin', 'https://example.com');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('development mode', () => {
  it('issues tokens at POST /v1/dev/tokens that the server accepts', async () => {
    const database = await embeddedTestDatabase();
    const dev = await startTestServer({ AUTH_SECRET: '', NODE_ENV: 'development' }, database);
    try {
      const issued = await request(dev.baseUrl).post('/v1/dev/tokens').send({ userId: 'dana', name: 'Dana' });
      expect(issued.status).toBe(201);
      const created = await request(dev.baseUrl)
        .post('/v1/rooms')
        .set('Authorization', `Bearer ${issued.body.token}`)
        .send({ id: 'dev-room', name: 'Dev' });
      expect(created.status).toBe(201);
      const members = await request(dev.baseUrl)
        .get('/v1/rooms/dev-room/members')
        .set('Authorization', `Bearer ${issued.body.token}`);
      expect(members.body.items).toMatchObject([{ userId: 'dana', name: 'Dana' }]);
      const bad = await request(dev.baseUrl).post('/v1/dev/tokens').send({ name: 'nobody' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('body.userId');
    } finally {
      await dev.stop();
      await database.dispose();
    }
  });

  it('sends CORS headers for listed origins only when ALLOWED_ORIGINS is set', async () => {
    const database = await embeddedTestDatabase();
    const cors = await startTestServer({ ALLOWED_ORIGINS: 'https://app.example' }, database);
    try {
      const allowed = await request(cors.baseUrl).get('/healthz').set('Origin', 'https://app.example');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
      const other = await request(cors.baseUrl).get('/healthz').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await cors.stop();
      await database.dispose();
    }
  });
});
