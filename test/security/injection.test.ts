import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENT_DATA_BYTES } from '../../src/domain/room-event.js';
import { type TestDatabase, embeddedTestDatabase, postgresTestDatabase } from '../support/databases.js';
import { bearer, createRoom } from '../support/rest.js';
import { expectDocumentedError, roomState } from '../support/security-fixtures.js';
import { serviceUrl, skipReason } from '../support/services.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

// Hostile text in every field that reaches the database: each value either comes back exactly as
// sent (over REST and over WebSocket) or is refused with 400 invalid_request naming the field.

const postgresUrl = serviceUrl('DATABASE_URL');

describe('injection on the embedded database', () => {
  injectionSuite(embeddedTestDatabase);
});

describe.skipIf(!postgresUrl)(`injection on PostgreSQL ${postgresUrl ? '' : skipReason('DATABASE_URL')}`, () => {
  injectionSuite(() => postgresTestDatabase(postgresUrl!));
});

const SQL = "'; DROP TABLE events; --";
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Event data as raw JSON text: escapes and `__proto__` keys reach the server exactly as written. */
const DATA_THAT_ROUND_TRIPS: readonly (readonly [string, string])[] = [
  ['SQL metacharacters', JSON.stringify({ text: SQL, more: "x' OR '1'='1", semi: ';', quote: '"' })],
  ['a bind placeholder and backslashes', JSON.stringify({ text: "$1 $2 \\ \\\\ \\x00 \\u0000 E'\\\\'" })],
  ['LIKE wildcards', JSON.stringify({ text: '%_%', pattern: '100% _done_' })],
  ['emoji, RTL and combining marks', JSON.stringify({ text: '🎉👩‍👩‍👧 مرحبا \u202eevil e\u0301\u0301\u0301 Z̷̢̛a̶l̵g̸o̴' })],
  ['a lone surrogate as a JSON escape', '{"text":"\\ud800 and \\udfff alone"}'],
  ['NUL in a string', '{"text":"a\\u0000b"}'],
  ['NUL in a key', '{"a\\u0000b":1}'],
  ['prototype keys', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'],
  ['numbers at the edges', '[1e308,-1e308,1e-400,18446744073709551616,9007199254740993,0.1]'],
  ['JSON null', 'null'],
  ['a bare SQL string', JSON.stringify(SQL)],
  ['nesting 100 levels deep', nested(100)],
];

function injectionSuite(open: () => Promise<TestDatabase>): void {
  let database: TestDatabase;
  let server: TestServer;
  let member: string;
  let service: string;
  let subscriber: WsTestClient;
  let publisher: WsTestClient;
  const room = 'inject';

  beforeAll(async () => {
    database = await open();
    server = await startTestServer({}, database);
    [member, service] = await Promise.all([signToken('mallory'), signToken('backend', { scope: 'service' })]);
    await createRoom(server.baseUrl, member, room);
    [subscriber, publisher] = await Promise.all([
      WsTestClient.connect(server.wsUrl, member),
      WsTestClient.connect(server.wsUrl, member),
    ]);
    expect(await subscriber.request({ op: 'join', room })).toMatchObject({ op: 'ok' });
  });
  afterAll(async () => {
    await Promise.all([subscriber?.close(), publisher?.close()]);
    await server?.stop();
    await database?.dispose();
  });

  const api = () => request(server.baseUrl);

  /** The same value in JSON's terms: what a correct round trip must give back. */
  const canonical = (value: unknown) => JSON.stringify(value);

  /** Checks the stored event over REST history and as the subscriber received it. */
  async function expectStoredEverywhere(seq: number, type: string, expected: string): Promise<void> {
    const history = await api()
      .get(`/v1/rooms/${room}/events?after=${seq - 1}&limit=1`)
      .set(bearer(member));
    expect(history.status).toBe(200);
    expect(history.body.items[0]).toMatchObject({ seq, type });
    expect(canonical(history.body.items[0].data)).toBe(expected);
    const pushed = await subscriber.waitFor(() => subscriber.events(room).find((event) => event.seq === seq));
    expect(pushed.type).toBe(type);
    expect(canonical(pushed.data)).toBe(expected);
  }

  describe('event data', () => {
    it.each(DATA_THAT_ROUND_TRIPS)('round-trips %s over REST', async (_label, dataText) => {
      const response = await api()
        .post(`/v1/rooms/${room}/events`)
        .set({ ...bearer(member), 'Content-Type': 'application/json' })
        .send(`{"type":"inject.rest","data":${dataText}}`);
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      const expected = canonical(JSON.parse(dataText));
      expect(canonical(response.body.data)).toBe(expected);
      await expectStoredEverywhere(response.body.seq as number, 'inject.rest', expected);
    });

    it.each(DATA_THAT_ROUND_TRIPS)('round-trips %s over WebSocket', async (_label, dataText) => {
      const before = publisher.frames.length;
      publisher.socket.send(`{"op":"publish","id":"p","room":"${room}","type":"inject.ws","data":${dataText}}`);
      const reply = await publisher.waitFor(() => publisher.frames.slice(before).find((frame) => frame.id === 'p'));
      expect(reply, JSON.stringify(reply)).toMatchObject({ op: 'ok', seq: expect.any(Number) });
      await expectStoredEverywhere(reply.seq as number, 'inject.ws', canonical(JSON.parse(dataText)));
    });

    it('round-trips a string of exactly 64 KiB of serialised JSON, multi-byte characters included', async () => {
      const text = `${'é'.repeat(32766)}ab`;
      expect(Buffer.byteLength(JSON.stringify(text))).toBe(MAX_EVENT_DATA_BYTES);
      const response = await api()
        .post(`/v1/rooms/${room}/events`)
        .set(bearer(member))
        .send({ type: 'inject.big', data: text });
      expect(response.status).toBe(201);
      await expectStoredEverywhere(response.body.seq as number, 'inject.big', canonical(text));
    });

    it.each([
      ['one byte over 64 KiB', () => JSON.stringify('x'.repeat(MAX_EVENT_DATA_BYTES - 1)), 413, 'payload_too_large'],
      ['nesting 101 levels deep', () => nested(101), 400, 'invalid_request'],
      ['nesting 10,000 levels deep', () => nested(10_000), 400, 'invalid_request'],
      ['nesting 40,000 levels deep', () => nested(40_000), 400, 'invalid_request'],
      ['nesting 10,000 objects deep', () => `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, 400, 'invalid_request'],
    ])('refuses data %s over REST, storing nothing', async (_label, dataText, status, code) => {
      const before = await roomState(server, service, room);
      const response = await api()
        .post(`/v1/rooms/${room}/events`)
        .set({ ...bearer(member), 'Content-Type': 'application/json' })
        .send(`{"type":"inject.refused","data":${dataText()}}`);
      expect(response.status).toBe(status);
      expect(expectDocumentedError(response.status, response.body)).toBe(code);
      expect(response.body.error.message).toMatch(/data/);
      expect(await roomState(server, service, room)).toEqual(before);
    });

    it.each([
      ['nesting 101 levels deep', nested(101)],
      ['nesting 10,000 levels deep', nested(10_000)],
    ])('refuses data %s over WebSocket with invalid_request, storing nothing', async (_label, dataText) => {
      const before = await roomState(server, service, room);
      const sent = publisher.frames.length;
      publisher.socket.send(`{"op":"publish","id":"deep","room":"${room}","type":"inject.deep","data":${dataText}}`);
      const reply = await publisher.waitFor(() => publisher.frames.slice(sent).find((frame) => frame.id === 'deep'));
      expect(reply).toMatchObject({ op: 'error', code: 'invalid_request', message: expect.stringMatching(/^data/) });
      expect(await roomState(server, service, room)).toEqual(before);
    });
  });

  describe('event types', () => {
    it.each(['a', 'a.b_c-d', `t${'x'.repeat(63)}`, 'drop.table.events'])(
      'round-trips the type %s over REST and WebSocket',
      async (type) => {
        const response = await api().post(`/v1/rooms/${room}/events`).set(bearer(member)).send({ type, data: 1 });
        expect(response.status).toBe(201);
        await expectStoredEverywhere(response.body.seq as number, type, '1');
        const reply = await publisher.request({ op: 'publish', room, type, data: 2 });
        expect(reply).toMatchObject({ op: 'ok' });
        await expectStoredEverywhere(reply.seq as number, type, '2');
      },
    );

    it.each([SQL, '$1', 'a\\b', '%', '_x', 'a b', 'é', 'a\u0000', `t${'x'.repeat(64)}`, ''])(
      'refuses the type %j with invalid_request naming the field, storing nothing',
      async (type) => {
        const before = await roomState(server, service, room);
        const response = await api().post(`/v1/rooms/${room}/events`).set(bearer(member)).send({ type, data: 1 });
        expect(expectDocumentedError(response.status, response.body)).toBe('invalid_request');
        expect(response.body.error.message).toMatch(/^body\.type: /);
        const reply = await publisher.request({ op: 'publish', room, type, data: 1 });
        expect(reply).toMatchObject({
          op: 'error',
          code: 'invalid_request',
          message: expect.stringMatching(/^type: /),
        });
        expect(await roomState(server, service, room)).toEqual(before);
      },
    );
  });

  describe('room ids', () => {
    it('keeps ids apart that a LIKE pattern would confuse (_ and -)', async () => {
      for (const id of ['l_ke', 'like', 'l-ke'])
        await createRoom(server.baseUrl, member, id, { name: `name of ${id}` });
      for (const id of ['l_ke', 'like', 'l-ke']) {
        const response = await api().get(`/v1/rooms/${id}`).set(bearer(member));
        expect(response.body).toMatchObject({ id, name: `name of ${id}` });
      }
    });

    it('round-trips an id of 64 characters and refuses 65', async () => {
      const longest = `a${'-'.repeat(62)}z`;
      await createRoom(server.baseUrl, member, longest);
      expect((await api().get(`/v1/rooms/${longest}`).set(bearer(member))).body.id).toBe(longest);
      const response = await api()
        .post('/v1/rooms')
        .set(bearer(member))
        .send({ id: `${longest}z`, name: 'x' });
      expect(expectDocumentedError(response.status, response.body)).toBe('invalid_request');
      expect(response.body.error.message).toMatch(/^body\.id: /);
    });

    it.each([SQL, '$1', 'a\\b', '%', 'a%', '_x', 'Lobby', 'a\u0000', 'é'])(
      'refuses the id %j in a body and in a path with invalid_request, creating nothing',
      async (id) => {
        const created = await api().post('/v1/rooms').set(bearer(member)).send({ id, name: 'x' });
        expect(expectDocumentedError(created.status, created.body)).toBe('invalid_request');
        expect(created.body.error.message).toMatch(/^body\.id: /);
        const read = await api()
          .get(`/v1/rooms/${encodeURIComponent(id)}/events`)
          .set(bearer(member));
        expect(expectDocumentedError(read.status, read.body)).toBe('invalid_request');
        expect(read.body.error.message).toMatch(/^path\.room: /);
        const joined = await publisher.request({ op: 'join', room: id });
        expect(joined).toMatchObject({
          op: 'error',
          code: 'invalid_request',
          message: expect.stringMatching(/^room: /),
        });
      },
    );
  });

  describe('room names', () => {
    let count = 0;
    it.each([
      ['SQL metacharacters', SQL],
      ['a bind placeholder', '$1'],
      ['backslashes', 'a\\b\\\\c\\'],
      ['LIKE wildcards', '%_%'],
      ['emoji', '🎉👩‍👩‍👧'],
      ['RTL text', 'مرحبا \u202eevil'],
      ['combining marks', 'e\u0301\u0301\u0301'],
      ['100 characters', 'n'.repeat(100)],
      ['50 emoji (100 UTF-16 units)', '🎉'.repeat(50)],
    ])('round-trips a name with %s', async (_label, name) => {
      const id = `name-${++count}`;
      await createRoom(server.baseUrl, member, id, { name });
      expect((await api().get(`/v1/rooms/${id}`).set(bearer(member))).body.name).toBe(name);
      const listed = await api().get('/v1/rooms?limit=200').set(bearer(member));
      expect(listed.body.items.find((item: { id: string }) => item.id === id)?.name).toBe(name);
    });

    it.each([
      ['NUL', 'a\u0000b', '{"id":"nul-name","name":"a\\u0000b"}'],
      ['a lone surrogate', '\ud800', '{"id":"lone-name","name":"x\\ud800"}'],
      ['101 characters', 'n'.repeat(101), JSON.stringify({ id: 'long-name', name: 'n'.repeat(101) })],
      ['an empty string', '', '{"id":"empty-name","name":""}'],
    ])('refuses a name with %s with invalid_request naming body.name', async (_label, _name, body) => {
      const response = await api()
        .post('/v1/rooms')
        .set({ ...bearer(member), 'Content-Type': 'application/json' })
        .send(body);
      expect(expectDocumentedError(response.status, response.body)).toBe('invalid_request');
      expect(response.body.error.message).toMatch(/^body\.name: /);
      const id = (JSON.parse(body) as { id: string }).id;
      expect((await api().get(`/v1/rooms/${id}`).set(bearer(member))).status).toBe(404);
    });
  });

  // A regression test: the token's `name` claim once reached a text column unchecked, and since
  // PostgreSQL text cannot hold NUL the join was a 500. The token check now refuses such a name.
  it('refuses (or stores safely) a token whose name claim holds NUL, never a 500', async () => {
    const token = await signToken('nul-name', { name: 'a\u0000b' });
    const response = await api().put(`/v1/rooms/${room}/members/me`).set(bearer(token));
    expect(response.status).not.toBe(500);
  });
}
