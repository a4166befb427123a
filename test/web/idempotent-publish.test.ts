import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../support/databases.js';
import { roomLastSeq } from '../support/delivery-subscriber.js';
import { type PublishOptions, bearer, createRoom, publishEvent } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

let server: TestServer;
let ann: string;
let service: string;
let roomCounter = 0;

beforeAll(async () => {
  server = await startTestServer();
  [ann, service] = await Promise.all([signToken('ann'), signToken('backend', { scope: 'service' })]);
});
afterAll(() => server?.stop());

const api = () => request(server.baseUrl);
async function newRoom(): Promise<string> {
  const id = `idem-${(roomCounter += 1)}`;
  await createRoom(server.baseUrl, ann, id);
  return id;
}
/** `POST /v1/rooms/:room/events` to this file's server as `token`'s user. */
const publish = (room: string, event: { type: string; data: unknown }, options: PublishOptions, token = ann) =>
  publishEvent(server.baseUrl, token, room, event, options);

describe('POST /v1/rooms/:room/events with an Idempotency-Key', () => {
  it('stores and pushes the first use; answers a repeat 200 with the original and Idempotent-Replayed, pushing nothing', async () => {
    const room = await newRoom();
    const subscriber = await WsTestClient.connect(server.wsUrl, service);
    await subscriber.request({ op: 'join', room });

    const first = await publish(room, { type: 'order.paid', data: { id: 7 } }, { key: 'order-7', status: 201 });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await publish(room, { type: 'order.paid', data: { id: 7 } }, { key: 'order-7', status: 200 });
    const marker = await publish(room, { type: 'marker', data: null }, { status: 201 });

    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    await subscriber.waitFor(() => subscriber.events(room).some((event) => event.type === 'marker'));
    expect(subscriber.events(room).map((event) => [event.seq, event.type])).toEqual([
      [first.body.seq, 'order.paid'],
      [marker.body.seq, 'marker'],
    ]);
    expect(marker.body.seq).toBe(first.body.seq + 1);
    await subscriber.close();
  });

  it('refuses the key with another type or data: 409 idempotency_conflict, nothing stored', async () => {
    const room = await newRoom();
    await publish(room, { type: 'order.paid', data: { id: 1 } }, { key: 'k', status: 201 });
    const before = await roomLastSeq(server.baseUrl, ann, room);

    const conflict = await publish(room, { type: 'order.paid', data: { id: 2 } }, { key: 'k', status: 409 });

    expect(conflict.body.error?.code).toBe('idempotency_conflict');
    expect(conflict.body.error?.message).toMatch(/idempotency key 'k' was used in room/);
    expect(await roomLastSeq(server.baseUrl, ann, room)).toBe(before);
  });

  it('refuses a malformed key with 400 naming the header', async () => {
    const room = await newRoom();
    for (const key of ['has space', 'x'.repeat(256), 'ünïcode']) {
      const answer = await publish(room, { type: 'chat', data: 1 }, { key, status: 400 });
      expect(answer.body.error).toMatchObject({ code: 'invalid_request' });
      expect(answer.body.error?.message).toMatch(/^header\.Idempotency-Key: /);
    }
  });

  it('scopes keys by sender: another user with the same key publishes their own event', async () => {
    const room = await newRoom();
    const bob = await signToken('bob');
    await api().put(`/v1/rooms/${room}/members/me`).set(bearer(bob)).expect(201);
    const mine = await publish(room, { type: 'chat', data: 'a' }, { key: 'same', status: 201 });
    const theirs = await publish(room, { type: 'chat', data: 'b' }, { key: 'same', status: 201 }, bob);
    expect(theirs.body.seq).toBe(mine.body.seq + 1);
  });

  it('stores one event for 20 concurrent requests with one key, and answers each with it', async () => {
    const room = await newRoom();
    const before = await roomLastSeq(server.baseUrl, ann, room);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        publish(room, { type: 'order.paid', data: { id: 9 } }, { key: 'burst', status: [200, 201] }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(19);
    expect(new Set(answers.map((answer) => answer.body.seq))).toEqual(new Set([before + 1]));
    expect(await roomLastSeq(server.baseUrl, ann, room)).toBe(before + 1);
  });
});

describe('the WebSocket publish op with idempotencyKey', () => {
  it('answers a repeat with the original seq and a changed repeat with idempotency_conflict', async () => {
    const room = await newRoom();
    const client = await WsTestClient.connect(server.wsUrl, ann);
    const frame = { op: 'publish', room, type: 'chat', data: 'hi', idempotencyKey: 'ws-1' };

    const first = await client.request({ ...frame, id: 1 });
    const again = await client.request({ ...frame, id: 2 });
    const changed = await client.request({ ...frame, id: 3, data: 'bye' });
    const malformed = await client.request({ ...frame, id: 4, idempotencyKey: '' });

    expect(first).toMatchObject({ op: 'ok', seq: expect.any(Number) });
    expect(again).toEqual({ op: 'ok', id: 2, seq: first.seq });
    expect(changed).toMatchObject({ op: 'error', id: 3, code: 'idempotency_conflict' });
    expect(malformed).toMatchObject({ op: 'error', id: 4, code: 'invalid_request' });
    expect(await roomLastSeq(server.baseUrl, ann, room)).toBe(first.seq);
    await client.close();
  });
});

describe('POST /v1/events with keyed items', () => {
  const batch = (events: unknown) => api().post('/v1/events').set(bearer(service)).send({ events });

  it('answers repeated items with their originals: 200 with Idempotent-Replayed when every item repeats, 201 when any is new', async () => {
    const room = await newRoom();
    const items = [
      { room, type: 'a', data: 1, idempotencyKey: 'b1' },
      { room, type: 'b', data: 2, idempotencyKey: 'b2' },
    ];
    const first = await batch(items).expect(201);
    const repeat = await batch(items).expect(200);
    const mixed = await batch([items[0], { room, type: 'c', data: 3, idempotencyKey: 'b3' }]).expect(201);

    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.body).toEqual(first.body);
    expect(mixed.headers['idempotent-replayed']).toBeUndefined();
    expect(mixed.body.items.map((event: { seq: number }) => event.seq)).toEqual([first.body.items[0].seq, 3]);
  });

  it('refuses a batch that uses one key twice in a room, or a key with other data, storing nothing', async () => {
    const room = await newRoom();
    await batch([{ room, type: 'a', data: 1, idempotencyKey: 'x' }]).expect(201);
    const twice = await batch([
      { room, type: 'a', data: 1, idempotencyKey: 'y' },
      { room, type: 'a', data: 1, idempotencyKey: 'y' },
    ]).expect(400);
    const conflict = await batch([
      { room, type: 'new', data: 1 },
      { room, type: 'a', data: 2, idempotencyKey: 'x' },
    ]).expect(409);

    expect(twice.body.error.message).toBe(`events.1.idempotencyKey: repeats the key of events.0 in room '${room}'`);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    expect(await roomLastSeq(server.baseUrl, ann, room)).toBe(1);
  });
});

describe('a key over time', () => {
  it('survives a restart of the server and the trimming of its event', async () => {
    const shared = await testDatabase();
    const trimming = { HISTORY_MAX_EVENTS: '2', HISTORY_TRIM_INTERVAL_MS: '50' };
    const first = await startTestServer(trimming, shared);
    const room = 'idem-restart';
    await createRoom(first.baseUrl, ann, room);
    const once = { type: 'chat', data: 'once' };
    const original = await publishEvent(first.baseUrl, ann, room, once, { key: 'survivor', status: 201 });
    for (let n = 0; n < 4; n += 1)
      await publishEvent(first.baseUrl, ann, room, { type: 'chat', data: n }, { status: 201 });
    // The room's first 3 of 5 events go, in one trim or more.
    const trimmedEvents = () =>
      first.log.lines
        .filter((line) => line.msg === 'history trimmed')
        .reduce((sum, line) => sum + Number(line.deleted), 0);
    await first.log.until(() => trimmedEvents() >= 3, 'the history trimmed');
    await first.stop();

    const second = await startTestServer({}, shared);
    try {
      const history = await request(second.baseUrl)
        .get(`/v1/rooms/${room}/events?after=0`)
        .set(bearer(ann))
        .expect(200);
      expect(history.body.firstSeq).toBeGreaterThan(original.body.seq);
      const again = await publishEvent(second.baseUrl, ann, room, once, { key: 'survivor', status: 200 });
      expect(again.body).toEqual(original.body);
    } finally {
      await second.stop();
      await shared.dispose();
    }
  });

  it('is forgotten after IDEMPOTENCY_TTL seconds, with the next history trim', async () => {
    const quick = await startTestServer({ IDEMPOTENCY_TTL: '1', HISTORY_TRIM_INTERVAL_MS: '100' });
    try {
      const room = 'idem-expiry';
      await createRoom(quick.baseUrl, ann, room);
      const send = (data: unknown) =>
        publishEvent(quick.baseUrl, ann, room, { type: 'chat', data }, { key: 'short-lived', status: 201 });
      await send(1);
      const forgotten = () =>
        quick.log.lines.some((entry) => entry.msg === 'history trimmed' && Number(entry.keysForgotten) > 0);
      await quick.log.until(forgotten, 'the key forgotten');
      expect((await send(2)).body.data).toBe(2);
    } finally {
      await quick.stop();
    }
  });
});
