import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

let server: TestServer;
let ann: string;
let bob: string;
let service: string;
let roomCounter = 0;

beforeAll(async () => {
  server = await startTestServer();
  [ann, bob, service] = await Promise.all([
    signToken('ann', { name: 'Ann' }),
    signToken('bob', { name: 'Bob' }),
    signToken('backend', { scope: 'service' }),
  ]);
});
afterAll(() => server?.stop());

const api = () => request(server.baseUrl);
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function createRoom(token = ann, body: Record<string, unknown> = {}) {
  roomCounter += 1;
  const response = await api()
    .post('/v1/rooms')
    .set(auth(token))
    .send({ id: `rest-${roomCounter}`, name: `Room ${roomCounter}`, ...body });
  expect(response.status).toBe(201);
  return response.body as { id: string; epoch: string };
}

async function history(room: string, token = service) {
  const response = await api().get(`/v1/rooms/${room}/events`).set(auth(token));
  expect(response.status).toBe(200);
  return response.body.items as { seq: number; type: string; data: unknown }[];
}

describe('rooms', () => {
  it('creates a room whose creator is its first member, without an event', async () => {
    const response = await api().post('/v1/rooms').set(auth(ann)).send({ id: 'lobby', name: 'Lobby' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ id: 'lobby', name: 'Lobby', capacity: 1000, lastSeq: 0, memberCount: 1 });
    expect(typeof response.body.epoch).toBe('string');
    expect(new Date(response.body.createdAt).toISOString()).toBe(response.body.createdAt);
    expect(await history('lobby')).toEqual([]);
  });

  it('generates an id when none is given', async () => {
    const response = await api().post('/v1/rooms').set(auth(ann)).send({ name: 'No id' });
    expect(response.status).toBe(201);
    expect(response.body.id).toMatch(/^[a-z0-9][a-z0-9_-]{0,63}$/);
  });

  it('refuses a taken id with 409 room_exists', async () => {
    const room = await createRoom();
    const response = await api().post('/v1/rooms').set(auth(bob)).send({ id: room.id, name: 'again' });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('room_exists');
  });

  it.each([
    [{ id: 'Bad Id', name: 'x' }, 'body.id'],
    [{ name: '' }, 'body.name'],
    [{ name: 'x'.repeat(101) }, 'body.name'],
    [{ name: 'x', capacity: 0 }, 'body.capacity'],
    [{ name: 'x', capacity: 100_001 }, 'body.capacity'],
    [{ name: 42 }, 'body.name'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const response = await api().post('/v1/rooms').set(auth(ann)).send(body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.message).toContain(field);
  });

  it('reads a room with its member count and last seq; 404 room_not_found for an unknown one', async () => {
    const room = await createRoom();
    const found = await api().get(`/v1/rooms/${room.id}`).set(auth(bob));
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ id: room.id, memberCount: 1, lastSeq: 0 });
    const missing = await api().get('/v1/rooms/nowhere').set(auth(bob));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('room_not_found');
  });

  it('lists every room by id, page by page, with an opaque cursor', async () => {
    for (let i = 0; i < 3; i += 1) await createRoom();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: request.Response = await api()
        .get('/v1/rooms')
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set(auth(bob));
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.items.map((room: { id: string }) => room.id));
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    const all = await api().get('/v1/rooms').query({ limit: 200 }).set(auth(bob));
    expect(seen).toEqual(all.body.items.map((room: { id: string }) => room.id));
    expect(all.body.nextCursor).toBeNull();
  });

  it('refuses a limit over the maximum and a cursor it did not give out', async () => {
    const tooMany = await api().get('/v1/rooms').query({ limit: 201 }).set(auth(ann));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain('query.limit');
    const badCursor = await api().get('/v1/rooms').query({ cursor: 'garbage' }).set(auth(ann));
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.message).toContain('cursor');
  });
});

describe('membership', () => {
  it('joins with 201 and member.joined the first time, 200 and nothing after', async () => {
    const room = await createRoom();
    const first = await api().put(`/v1/rooms/${room.id}/members/me`).set(auth(bob));
    expect(first.status).toBe(201);
    expect(first.body.memberCount).toBe(2);
    const again = await api().put(`/v1/rooms/${room.id}/members/me`).set(auth(bob));
    expect(again.status).toBe(200);
    expect(await history(room.id)).toMatchObject([
      { seq: 1, type: 'member.joined', data: { userId: 'bob', name: 'Bob' } },
    ]);
  });

  it('refuses a join past capacity with 409 room_full', async () => {
    const room = await createRoom(ann, { capacity: 1 });
    const response = await api().put(`/v1/rooms/${room.id}/members/me`).set(auth(bob));
    expect(response.status).toBe(409);
    expect(response.body.error).toEqual({ code: 'room_full', message: `room '${room.id}' is full (1 members)` });
  });

  it('leaves with 204 and member.left; leaving again is 204 without an event', async () => {
    const room = await createRoom();
    await api().put(`/v1/rooms/${room.id}/members/me`).set(auth(bob)).expect(201);
    await api().delete(`/v1/rooms/${room.id}/members/me`).set(auth(bob)).expect(204);
    await api().delete(`/v1/rooms/${room.id}/members/me`).set(auth(bob)).expect(204);
    expect((await history(room.id)).map((event) => event.type)).toEqual(['member.joined', 'member.left']);
  });

  it('lists members for members and services only', async () => {
    const room = await createRoom();
    const asMember = await api().get(`/v1/rooms/${room.id}/members`).set(auth(ann));
    expect(asMember.status).toBe(200);
    expect(asMember.body).toMatchObject({ items: [{ userId: 'ann', name: 'Ann' }], nextCursor: null });
    await api().get(`/v1/rooms/${room.id}/members`).set(auth(service)).expect(200);
    const stranger = await api().get(`/v1/rooms/${room.id}/members`).set(auth(bob));
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.code).toBe('forbidden');
  });

  it('joins and leaves 404 for an unknown room', async () => {
    const join = await api().put('/v1/rooms/ghost/members/me').set(auth(bob));
    expect(join.status).toBe(404);
    expect(join.body.error.code).toBe('room_not_found');
    await api().delete('/v1/rooms/ghost/members/me').set(auth(bob)).expect(404);
  });
});

describe('presence', () => {
  it('is empty without connections, and forbidden to strangers', async () => {
    const room = await createRoom();
    const response = await api().get(`/v1/rooms/${room.id}/presence`).set(auth(ann));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: [] });
    await api().get(`/v1/rooms/${room.id}/presence`).set(auth(bob)).expect(403);
  });
});
