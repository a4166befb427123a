import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

let server: TestServer;
let service: string;

beforeAll(async () => {
  server = await startTestServer({ ALLOWED_ORIGINS: 'https://app.example' });
  service = await signToken('backend', { scope: 'service' });
  await createRoom(server.baseUrl, service, 'lobby');
});
afterAll(() => server?.stop());

/** The headers of an answer, less those that differ by request (its id, date, length). */
function stableHeaders(headers: Record<string, string>): Record<string, string> {
  const { 'x-request-id': id, date: _date, 'content-length': _length, ...rest } = headers;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return rest;
}

/** The same publish sent to the fast path (the canonical path) and to express (a trailing slash). */
async function bothWays(path: string, body: unknown, token = service) {
  const send = (url: string) =>
    request(server.baseUrl)
      .post(url)
      .set('Authorization', `Bearer ${token}`)
      .set('Origin', 'https://app.example')
      .send(body as object);
  return { fast: await send(path), express: await send(`${path}/`) };
}

describe('the publish fast path', () => {
  it('answers a publish exactly as express does: status, headers, body', async () => {
    const { fast, express } = await bothWays('/v1/rooms/lobby/events', { type: 'chat', data: { text: 'hi' } });
    expect(fast.status).toBe(201);
    expect(express.status).toBe(201);
    expect(stableHeaders(fast.headers)).toEqual(stableHeaders(express.headers));
    expect(fast.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'access-control-allow-origin': 'https://app.example',
      'x-content-type-options': 'nosniff',
    });
    expect({ ...fast.body, seq: 0, at: '' }).toEqual({ ...express.body, seq: 0, at: '' });
    expect(express.body.seq).toBe(fast.body.seq + 1);
  });

  it.each<[string, string, unknown, number]>([
    ['a body that is not JSON', '/v1/rooms/lobby/events', 'not json', 400],
    ['a bad type', '/v1/rooms/lobby/events', { type: 'Bad Type', data: 1 }, 400],
    ['a reserved type', '/v1/rooms/lobby/events', { type: 'member.joined', data: 1 }, 403],
    ['an unknown room', '/v1/rooms/nowhere/events', { type: 'chat', data: 1 }, 404],
    ['data over 64 KiB', '/v1/rooms/lobby/events', { type: 'chat', data: 'x'.repeat(70_000) }, 413],
    ['a body over 80 KiB', '/v1/rooms/lobby/events', { type: 'chat', data: 'x'.repeat(90_000) }, 413],
    ['an empty batch', '/v1/events', { events: [] }, 400],
  ])('refuses %s exactly as express does', async (_case, path, body, status) => {
    const { fast, express } = await bothWays(path, body);
    expect(fast.status).toBe(status);
    expect(express.status).toBe(status);
    expect(fast.body).toEqual(express.body);
    expect(stableHeaders(fast.headers)).toEqual(stableHeaders(express.headers));
  });

  it('refuses a missing or bad token exactly as express does', async () => {
    const { fast, express } = await bothWays('/v1/rooms/lobby/events', { type: 'chat', data: 1 }, 'not-a-token');
    expect(fast.status).toBe(401);
    expect(fast.body).toEqual(express.body);
  });

  it('counts both under the route pattern in the metrics', async () => {
    await bothWays('/v1/events', { events: [{ room: 'lobby', type: 'chat', data: 1 }] });
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/route="\/v1\/events",status="201"\} 2$/m);
    expect(metrics).toMatch(/route="\/v1\/rooms\/:room\/events",status="201"\} \d+$/m);
  });

  it('logs a refused publish with the id its answer carries', async () => {
    const before = server.log.lines.length;
    const { fast } = await bothWays('/v1/rooms/lobby/events', { type: 'Bad Type', data: 1 });
    const lines = server.log.lines.slice(before).filter((line) => line.msg === 'request completed');
    expect(lines).toContainEqual(
      expect.objectContaining({ req: expect.objectContaining({ id: fast.headers['x-request-id'] }), level: 30 }),
    );
  });
});
