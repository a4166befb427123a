import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

let server: TestServer;
let ann: string;
let bob: string;
let service: string;
let room: string;

beforeAll(async () => {
  server = await startTestServer();
  [ann, bob, service] = await Promise.all([
    signToken('ann'),
    signToken('bob'),
    signToken('backend', { scope: 'service' }),
  ]);
  room = (await api().post('/v1/rooms').set(auth(ann)).send({ id: 'events', name: 'Events' }).expect(201)).body.id;
});
afterAll(() => server?.stop());

const api = () => request(server.baseUrl);
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const publish = (body: unknown, token = ann, target = room) =>
  api()
    .post(`/v1/rooms/${target}/events`)
    .set(auth(token))
    .send(body as object);

describe('publishing', () => {
  it('stores the event with the next seq and returns it', async () => {
    const first = await publish({ type: 'chat.message', data: { text: 'hi' } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ room, type: 'chat.message', data: { text: 'hi' }, sender: 'ann' });
    const second = await publish({ type: 'chat.message', data: null });
    expect(second.body.seq).toBe(first.body.seq + 1);
    expect(second.body.data).toBeNull();
    expect(new Date(second.body.at).toISOString()).toBe(second.body.at);
  });

  it('lets a service publish without being a member', async () => {
    const response = await publish({ type: 'system.notice', data: 'maintenance' }, service);
    expect(response.status).toBe(201);
    expect(response.body.sender).toBe('backend');
  });

  it('refuses a non-member with 403 forbidden', async () => {
    const response = await publish({ type: 'chat.message', data: 1 }, bob);
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('forbidden');
  });

  it.each(['member.joined', 'presence.left', 'member.custom'])(
    'refuses the reserved type %s with 403',
    async (type) => {
      const response = await publish({ type, data: {} }, service);
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
    },
  );

  it.each([
    [{ type: 'Bad Type', data: 1 }, 'body.type'],
    [{ type: '1abc', data: 1 }, 'body.type'],
    [{ type: 'x'.repeat(65), data: 1 }, 'body.type'],
    [{ type: 'chat' }, 'body.data'],
    [{ data: 1 }, 'body.type'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const response = await publish(body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.message).toContain(field);
  });

  it('refuses data over 64 KiB with 413 payload_too_large, and accepts exactly 64 KiB', async () => {
    const exact = 'x'.repeat(64 * 1024 - 2);
    expect((await publish({ type: 'blob', data: exact })).status).toBe(201);
    const over = await publish({ type: 'blob', data: `${exact}x` });
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('payload_too_large');
  });

  it('refuses a body over the limit with 413 and bad JSON with 400', async () => {
    const huge = await publish({ type: 'blob', data: 'x'.repeat(200_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const badJson = await api()
      .post(`/v1/rooms/${room}/events`)
      .set(auth(ann))
      .set('Content-Type', 'application/json')
      .send('{"type": "chat", "data": ');
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toEqual({ code: 'invalid_request', message: 'body: not valid JSON' });
  });

  it('is 404 room_not_found for an unknown room', async () => {
    const response = await publish({ type: 'chat', data: 1 }, service, 'ghost');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('room_not_found');
  });
});

describe('history', () => {
  it('pages through events after a seq, ascending, with firstSeq', async () => {
    const all = await api().get(`/v1/rooms/${room}/events`).query({ after: 0, limit: 1000 }).set(auth(ann));
    expect(all.status).toBe(200);
    expect(all.body.firstSeq).toBe(1);
    const seqs = all.body.items.map((event: { seq: number }) => event.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    const page = await api().get(`/v1/rooms/${room}/events`).query({ after: 1, limit: 2 }).set(auth(ann));
    expect(page.body.items.map((event: { seq: number }) => event.seq)).toEqual([2, 3]);
  });

  it('refuses after beyond the last seq, a limit over 1000, and strangers', async () => {
    const beyond = await api().get(`/v1/rooms/${room}/events`).query({ after: 10_000 }).set(auth(ann));
    expect(beyond.status).toBe(400);
    expect(beyond.body.error.message).toContain('after');
    const tooMany = await api().get(`/v1/rooms/${room}/events`).query({ limit: 1001 }).set(auth(ann));
    expect(tooMany.status).toBe(400);
    const negative = await api().get(`/v1/rooms/${room}/events`).query({ after: -1 }).set(auth(ann));
    expect(negative.status).toBe(400);
    await api().get(`/v1/rooms/${room}/events`).set(auth(bob)).expect(403);
  });
});
