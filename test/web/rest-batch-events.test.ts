import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomLastSeq } from '../support/delivery-subscriber.js';
import { bearer, createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

let server: TestServer;
let ann: string;
let service: string;
const rooms = ['batch-a', 'batch-b', 'batch-c'];

beforeAll(async () => {
  server = await startTestServer();
  [ann, service] = await Promise.all([signToken('ann'), signToken('backend', { scope: 'service' })]);
  for (const id of rooms) await createRoom(server.baseUrl, ann, id);
});
afterAll(() => server?.stop());

const api = () => request(server.baseUrl);
const batch = (events: unknown, token = service) => api().post('/v1/events').set(bearer(token)).send({ events });
const lastSeqs = () => Promise.all(rooms.map((id) => roomLastSeq(server.baseUrl, ann, id)));

describe('POST /v1/events (batch)', () => {
  it('stores events of several rooms, each room in the order given, and pushes them in that order', async () => {
    const subscriber = await WsTestClient.connect(server.wsUrl, service);
    for (const room of rooms) expect((await subscriber.request({ op: 'join', room })).op).toBe('ok');
    const before = await lastSeqs();
    const events = Array.from({ length: 30 }, (_, index) => ({
      room: rooms[index % 3],
      type: 'batch.item',
      data: { index },
    }));

    const answer = await batch(events).expect(201);

    expect(answer.body.items.map((event: { data: unknown }) => event.data)).toEqual(events.map((e) => e.data));
    rooms.forEach((room, r) => {
      const stored = answer.body.items.filter((event: { room: string }) => event.room === room);
      expect(stored.map((event: { seq: number }) => event.seq)).toEqual(
        Array.from({ length: 10 }, (_, i) => before[r]! + 1 + i),
      );
      expect(stored.every((event: { sender: string }) => event.sender === 'backend')).toBe(true);
    });
    await subscriber.waitFor(() => subscriber.events().length === 30);
    for (const room of rooms) {
      const pushed = subscriber.events(room).map((frame) => (frame.data as { index: number }).index);
      expect(pushed).toEqual(events.filter((e) => e.room === room).map((e) => e.data.index));
    }
    await subscriber.close();
  });

  it('keeps every room gapless and in order with batches and single publishes racing', async () => {
    const subscriber = await WsTestClient.connect(server.wsUrl, service);
    for (const room of rooms) await subscriber.request({ op: 'join', room });
    const before = await lastSeqs();
    const calls = Array.from({ length: 20 }, (_, n) =>
      n % 2 === 0
        ? batch(rooms.flatMap((room) => [1, 2].map((k) => ({ room, type: 'race', data: { n, k } })))).expect(201)
        : api()
            .post(`/v1/rooms/${rooms[n % 3]}/events`)
            .set(bearer(service))
            .send({ type: 'race', data: { n } })
            .expect(201),
    );
    await Promise.all(calls);
    const after = await lastSeqs();
    const expected = rooms.map((_, r) => after[r]! - before[r]!);
    expect(expected.reduce((a, b) => a + b)).toBe(10 * 6 + 10);
    await subscriber.waitFor(() => subscriber.events().length === 70);
    rooms.forEach((room, r) => {
      const seqs = subscriber.events(room).map((frame) => frame.seq as number);
      expect(seqs).toEqual(Array.from({ length: expected[r]! }, (_, i) => before[r]! + 1 + i));
    });
    await subscriber.close();
  });

  it('stores nothing when one event is refused, and names it', async () => {
    const before = await lastSeqs();
    const good = { room: 'batch-a', type: 'ok', data: 1 };
    const cases: [unknown[], number, string, string][] = [
      [[good, { room: 'batch-b', type: 'Bad Type', data: 1 }], 400, 'invalid_request', 'body.events.1.type'],
      [[good, { room: 'batch-b', type: 'ok' }], 400, 'invalid_request', 'body.events.1.data'],
      [[good, { room: 'batch-b', type: 'member.joined', data: 1 }], 403, 'forbidden', 'events.1: '],
      [[good, { room: 'batch-c', type: 'ok', data: 'x'.repeat(70_000) }], 413, 'payload_too_large', 'events.1: '],
      [[good, { room: 'no-such-room', type: 'ok', data: 1 }], 404, 'room_not_found', "'no-such-room'"],
      [[], 400, 'invalid_request', 'body.events'],
      [Array.from({ length: 101 }, () => good), 400, 'invalid_request', 'body.events'],
    ];
    for (const [events, status, code, message] of cases) {
      const answer = await batch(events);
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.body.error.message).toContain(message);
    }
    expect(await lastSeqs()).toEqual(before);
  });

  it('is for service tokens: a member is refused with 403, without a token 401', async () => {
    const answer = await batch([{ room: 'batch-a', type: 'ok', data: 1 }], ann);
    expect(answer.status).toBe(403);
    expect(answer.body.error.message).toContain('service token');
    await api().post('/v1/events').send({ events: [] }).expect(401);
  });

  it('takes bodies up to 1 MiB: 100 events of 10 KiB each', async () => {
    const events = Array.from({ length: 100 }, (_, i) => ({
      room: rooms[i % 3],
      type: 'big',
      data: 'y'.repeat(10_000),
    }));
    expect((await batch(events)).status).toBe(201);
    const tooBig = Array.from({ length: 100 }, (_, i) => ({
      room: rooms[i % 3],
      type: 'big',
      data: 'y'.repeat(11_000),
    }));
    const answer = await batch(tooBig);
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
  });
});
