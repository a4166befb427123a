import { once } from 'node:events';
import { createConnection } from 'node:net';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SHORT_HISTORY, publishOverRest, seqRange, untilTrimmedPast } from '../../support/delivery-subscriber.js';
import { eventuallyAsync, onEvent, when } from '../../support/eventually.js';
import { bearer, createRoom, publishEvent } from '../../support/rest.js';
import { SseTestStream, openStream, refusedStream } from '../../support/sse-test-client.js';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

let server: TestServer;
let ann: string;
let bob: string;
let service: string;
let roomCounter = 0;
const open: SseTestStream[] = [];

beforeAll(async () => {
  server = await startTestServer({ PING_INTERVAL_MS: '100', MAX_CONNECTIONS_PER_USER: '3' });
  ann = await signToken('ann', { name: 'Ann' });
  bob = await signToken('bob', { name: 'Bob' });
  service = await signToken('backend', { scope: 'service' });
});
afterEach(() => {
  for (const stream of open.splice(0)) stream.close();
});
afterAll(() => server?.stop());

/** A new room; ann (its creator) is its only member. */
async function newRoom(): Promise<string> {
  roomCounter += 1;
  const id = `stream-${roomCounter}`;
  await createRoom(server.baseUrl, ann, id);
  return id;
}

/** Opens `/v1/rooms/<room>/stream<query>` on `target` as `token`'s user; closed after the test. */
async function streamOf(
  room: string,
  token = ann,
  query = '',
  headers: Record<string, string> = {},
  target: TestServer = server,
) {
  const stream = await openStream(target.baseUrl, `/v1/rooms/${room}/stream${query}`, { ...bearer(token), ...headers });
  open.push(stream);
  return stream;
}

/** Requests `path` on this file's server, which must refuse it. */
const refusal = (path: string, headers: Record<string, string> = {}) => refusedStream(server.baseUrl, path, headers);

async function publish(room: string, type = 'chat', data: unknown = { type }): Promise<Record<string, unknown>> {
  const response = await request(server.baseUrl)
    .post(`/v1/rooms/${room}/events`)
    .set(bearer(service))
    .send({ type, data });
  expect(response.status).toBe(201);
  return response.body;
}

const arrival = (stream: SseTestStream, seq: number, timeoutMs = 10_000) =>
  stream.waitFor(() => stream.seqs.includes(seq), `seq ${seq}`, timeoutMs);

describe('an event stream', () => {
  it('answers 200 text/event-stream, sends ready first, then each event with id = seq as REST shows it', async () => {
    const room = await newRoom();
    await publish(room);
    const stream = await streamOf(room);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-store');
    await stream.waitFor(() => stream.messages.length > 0, 'the first message');
    const { epoch } = (await request(server.baseUrl).get(`/v1/rooms/${room}`).set(bearer(ann))).body;
    expect(stream.messages[0]).toEqual({ event: 'ready', data: JSON.stringify({ room, epoch, seq: 1 }) });

    const stored = await publish(room, 'note', { text: 'hé\nthere' });
    await arrival(stream, 2);
    const message = stream.messages.find((candidate) => candidate.event === 'event')!;
    expect(message.id).toBe('2');
    expect(JSON.parse(message.data)).toEqual(stored);
  });

  it('sends a presence snapshot after ready, and counts the stream in presence; a service stream is not counted', async () => {
    const room = await newRoom();
    const watcher = await streamOf(room, service);
    await watcher.waitFor(() => watcher.data('presence').length === 1, 'the snapshot');
    expect(watcher.data('presence')).toEqual([{ room, count: 0, users: [] }]);
    const stream = await streamOf(room);
    await stream.waitFor(() => stream.data('presence').length === 1, 'the snapshot');
    expect(stream.messages.map((m) => m.event).slice(0, 2)).toEqual(['ready', 'presence']);
    expect(stream.data('presence')).toEqual([{ room, count: 1, users: [{ userId: 'ann', name: 'Ann' }] }]);
    const { body } = await request(server.baseUrl).get(`/v1/rooms/${room}/presence`).set(bearer(service));
    expect(body).toEqual({ items: [{ userId: 'ann', name: 'Ann', connections: 1 }] });
    await watcher.waitFor(() => watcher.data('presence').length === 2, 'the diff');
    expect(watcher.data('presence')[1]).toEqual({ room, count: 1, joined: [{ userId: 'ann', name: 'Ann' }], left: [] });
  });

  it('resumes with Last-Event-ID after 500 missed events: all of them, in order, once, then live ones', async () => {
    const room = await newRoom();
    const first = await streamOf(room);
    await publish(room);
    await arrival(first, 1);
    const epoch = first.data('ready')[0]!.epoch as string;
    first.close();
    await publishOverRest(server.baseUrl, service, room, 500);

    // Last-Event-ID overrides the since in the URL.
    const resumed = await streamOf(room, ann, `?since=0&epoch=${epoch}`, { 'last-event-id': '1' });
    await arrival(resumed, 501, 30_000);
    expect(resumed.data('ready')).toEqual([{ room, epoch, seq: 501, recovered: true }]);
    await publish(room, 'after');
    await arrival(resumed, 502);
    expect(resumed.seqs).toEqual(seqRange(2, 502));
    expect(resumed.messages.filter((m) => m.event === 'event').map((m) => m.id)).toEqual(seqRange(2, 502).map(String));
  }, 60_000);

  it('says recovered: false on another epoch, replays nothing, and goes on live', async () => {
    const room = await newRoom();
    await publishOverRest(server.baseUrl, service, room, 3);
    const stream = await streamOf(room, ann, '?since=1&epoch=another-stream');
    await stream.waitFor(() => stream.messages.length > 0, 'ready');
    expect(stream.data('ready')[0]).toMatchObject({ seq: 3, recovered: false });
    await publish(room);
    await arrival(stream, 4);
    expect(stream.seqs).toEqual([4]);
  });

  it('filters by types, replayed and live alike', async () => {
    const room = await newRoom();
    for (const type of ['chat', 'typing', 'note']) await publish(room, type);
    const stream = await streamOf(room, ann, '?since=0&types=chat,note');
    for (const type of ['typing', 'chat']) await publish(room, type);
    await arrival(stream, 5);
    expect(stream.data('event').map((event) => [event.seq, event.type])).toEqual([
      [1, 'chat'],
      [3, 'note'],
      [5, 'chat'],
    ]);
  });

  it('sends a ping comment every PING_INTERVAL_MS and stays open', async () => {
    const stream = await streamOf(await newRoom());
    await stream.waitFor(() => stream.comments.length >= 3, 'three pings');
    expect(new Set(stream.comments)).toEqual(new Set(['ping']));
    expect(stream.isEnded).toBe(false);
  });

  it('serves an HTTP/1.0 reader plain (unchunked) messages', async () => {
    const room = await newRoom();
    const socket = createConnection({ host: '127.0.0.1', port: server.app.port });
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.write(`GET /v1/rooms/${room}/stream HTTP/1.0\r\nAuthorization: Bearer ${ann}\r\n\r\n`);
    await when(() => received.includes('event: presence'), onEvent(socket, 'data'), 10_000, 'ready and presence');
    await publish(room);
    await when(() => received.includes('id: 1\n'), onEvent(socket, 'data'), 10_000, 'the event');
    socket.destroy();
    const [head, body] = received.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(body).toMatch(/^event: ready\ndata: \{.*\}\n\n/);
    expect(body).toContain('\n\nevent: presence\ndata: {');
    expect(body).toContain(`id: 1\nevent: event\ndata: {"room":"${room}","seq":1,`);
  });

  it('ends with event: close 1000 when its user leaves the room', async () => {
    const room = await newRoom();
    await request(server.baseUrl).put(`/v1/rooms/${room}/members/me`).set(bearer(bob)).expect(201);
    const stream = await streamOf(room, bob);
    await stream.waitFor(() => stream.messages.length > 0, 'ready');
    await request(server.baseUrl).delete(`/v1/rooms/${room}/members/me`).set(bearer(bob)).expect(204);
    await stream.ended();
    expect(stream.data('close')).toEqual([{ code: 1000, reason: 'left the room' }]);
  });
});

describe('refusals before the stream starts, as JSON errors', () => {
  it('401 without a token, with a bad one, and with a token in the URL', async () => {
    const room = await newRoom();
    const path = `/v1/rooms/${room}/stream`;
    expect((await refusal(path)).body.error.code).toBe('unauthenticated');
    expect((await refusal(path, bearer('not-a-token'))).status).toBe(401);
    const inUrl = await refusal(`${path}?token=${ann}`, bearer(ann));
    expect(inUrl).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect(inUrl.headers['content-type']).toContain('application/json');
  });

  it('403 for a user who is not a member (a stream never makes one), 404 for an unknown room', async () => {
    const room = await newRoom();
    expect(await refusal(`/v1/rooms/${room}/stream`, bearer(bob))).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    const members = await request(server.baseUrl).get(`/v1/rooms/${room}/members`).set(bearer(ann));
    expect(members.body.items.map((member: { userId: string }) => member.userId)).toEqual(['ann']);
    expect(await refusal('/v1/rooms/nowhere/stream', bearer(ann))).toMatchObject({
      status: 404,
      body: { error: { code: 'room_not_found' } },
    });
  });

  it('400 for a bad since, epoch, types or Last-Event-ID, and for since beyond the last seq', async () => {
    const room = await newRoom();
    const path = `/v1/rooms/${room}/stream`;
    const cases: [string, Record<string, string>, string][] = [
      ['?since=-1', {}, 'query.since'],
      ['?since=abc', {}, 'query.since'],
      ['?since=5', {}, 'since: 5 is beyond'],
      ['?epoch=', {}, 'query.epoch'],
      ['?types=chat,Bad', {}, 'query.types.1'],
      ['', { 'last-event-id': 'x' }, 'Last-Event-ID'],
    ];
    for (const [query, headers, message] of cases) {
      const refused = await refusal(`${path}${query}`, { ...bearer(ann), ...headers });
      expect(refused.status, query).toBe(400);
      expect(refused.body.error.code).toBe('invalid_request');
      expect(refused.body.error.message).toContain(message);
    }
  });

  it('406 when Accept rules out text/event-stream; no Accept or */* is a stream', async () => {
    const room = await newRoom();
    const path = `/v1/rooms/${room}/stream`;
    expect(await refusal(path, { ...bearer(ann), accept: 'application/json' })).toMatchObject({
      status: 406,
      body: { error: { code: 'not_acceptable' } },
    });
    const anything = await streamOf(room, ann, '', { accept: '*/*' });
    expect(anything.status).toBe(200);
  });

  it('429 past MAX_CONNECTIONS_PER_USER, WebSocket connections and streams counted together', async () => {
    const room = await newRoom();
    const carl = await signToken('carl');
    await request(server.baseUrl).put(`/v1/rooms/${room}/members/me`).set(bearer(carl)).expect(201);
    const socket = await WsTestClient.connect(server.wsUrl, carl);
    await streamOf(room, carl);
    const last = await streamOf(room, carl);
    expect(await refusal(`/v1/rooms/${room}/stream`, bearer(carl))).toMatchObject({
      status: 429,
      body: { error: { code: 'rate_limited' } },
    });
    last.close();
    await socket.close();
    await server.untilConnectionsClosed();
    // A slot is free again once the server has seen the stream end.
    await eventuallyAsync(
      async () => {
        const result = await SseTestStream.open(server.baseUrl, `/v1/rooms/${room}/stream`, bearer(carl));
        if (result instanceof SseTestStream) open.push(result);
        return result instanceof SseTestStream;
      },
      5_000,
      'a free slot',
    );
  });
});

describe('history and the stream', () => {
  let trimmed: TestServer;
  beforeAll(async () => {
    trimmed = await startTestServer(SHORT_HISTORY);
  });
  afterAll(() => trimmed?.stop());

  it('says recovered: false when Last-Event-ID is older than the kept history, and goes on live', async () => {
    const room = 'trimmed';
    await createRoom(trimmed.baseUrl, ann, room);
    await publishOverRest(trimmed.baseUrl, service, room, 120);
    await untilTrimmedPast(trimmed.baseUrl, service, room, 2, 20_000);
    const stream = await streamOf(room, ann, '', { 'last-event-id': '1' }, trimmed);
    await stream.waitFor(() => stream.messages.length > 0, 'ready');
    expect(stream.data('ready')[0]).toMatchObject({ seq: 120, recovered: false });
    await publishEvent(trimmed.baseUrl, service, room, { type: 'x', data: 1 });
    await arrival(stream, 121);
    expect(stream.seqs).toEqual([121]);
  });
});
