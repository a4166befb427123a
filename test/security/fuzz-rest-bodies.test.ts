import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NUMBER_TOKENS,
  SPECIAL_STRINGS,
  applyEdits,
  expectDocumentedError,
  expectNoInternals,
  jsonText,
  textEdits,
} from '../support/security-fixtures.js';
import { bearer, createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

// Random bodies, queries and headers on every REST route of a real server: every answer is JSON
// with a documented code and status, never a 500, never a stack trace or SQL.

const ROOM = 'fuzz-room';
const NUM_RUNS = 600;
/** Events stored in the room before the fuzz, so that `after` has a range to stay within. */
const HISTORY = 3;
/** A room only the paging property reads, so that the fuzz cannot change its history. */
const PAGING_ROOM = 'paging-room';

let server: TestServer;
let tokens: { member: string; stranger: string; service: string; expired: string };

beforeAll(async () => {
  server = await startTestServer();
  const [member, stranger, service, expired] = await Promise.all([
    signToken('fuzz-member'),
    signToken('fuzz-stranger'),
    signToken('backend', { scope: 'service' }),
    signToken('fuzz-member', { expiresIn: -3600 }),
  ]);
  tokens = { member, stranger, service, expired };
  await createRoom(server.baseUrl, member, ROOM);
  await createRoom(server.baseUrl, member, PAGING_ROOM);
  for (let i = 0; i < HISTORY; i++) {
    const response = await fetch(`${server.baseUrl}/v1/rooms/${PAGING_ROOM}/events`, {
      method: 'POST',
      headers: { ...bearer(member), 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'seed', data: i }),
    });
    expect(response.status).toBe(201);
  }
});
afterAll(() => server?.stop());

// ---- generators

const roomSegment = fc.oneof(
  { weight: 8, arbitrary: fc.constant(ROOM) },
  { weight: 3, arbitrary: fc.constantFrom('no-such-room', 'UPPER', '-x', 'a'.repeat(65), '__proto__') },
  { weight: 2, arbitrary: SPECIAL_STRINGS },
  { weight: 2, arbitrary: fc.string({ maxLength: 20, unit: 'binary' }) },
);

const ROUTES = [
  { method: 'POST', path: () => '/v1/rooms' },
  { method: 'GET', path: () => '/v1/rooms' },
  { method: 'GET', path: (room: string) => `/v1/rooms/${room}` },
  { method: 'PUT', path: (room: string) => `/v1/rooms/${room}/members/me` },
  { method: 'DELETE', path: (room: string) => `/v1/rooms/${room}/members/me` },
  { method: 'GET', path: (room: string) => `/v1/rooms/${room}/members` },
  { method: 'POST', path: (room: string) => `/v1/rooms/${room}/events` },
  { method: 'POST', path: () => '/v1/events' },
  { method: 'GET', path: (room: string) => `/v1/rooms/${room}/events` },
  { method: 'GET', path: (room: string) => `/v1/rooms/${room}/presence` },
  { method: 'PATCH', path: (room: string) => `/v1/rooms/${room}` },
  { method: 'POST', path: (room: string) => `/v1/${room}` },
];

const cursor = fc.oneof(
  fc.string({ maxLength: 20 }),
  // A cursor of the server's own form ("k:" + key, base64url) around any key.
  fc
    .oneof(SPECIAL_STRINGS, fc.string({ maxLength: 20, unit: 'binary' }))
    .map((key) => Buffer.from(`k:${key}`).toString('base64url')),
);
const queryValue = fc.oneof(NUMBER_TOKENS, SPECIAL_STRINGS, fc.nat().map(String), fc.string({ maxLength: 10 }));
const query = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constantFrom('after', 'limit', '__proto__', 'constructor[prototype]'), queryValue),
      fc.tuple(fc.constant('cursor'), cursor),
      fc.tuple(fc.string({ maxLength: 6 }), queryValue),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());

/** Bodies shaped like the real ones, so that the fuzz also reaches past validation. */
const anyValue = jsonText.map((text) => JSON.parse(text) as unknown);
const roomId = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/), fc.constantFrom(ROOM, 'Bad Id'), anyValue);
const roomName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 100, unit: 'grapheme' }),
  fc.string({ maxLength: 120, unit: 'binary' }),
  SPECIAL_STRINGS,
);
const capacity = fc.oneof(fc.integer({ min: 0, max: 100_001 }), NUMBER_TOKENS.map(Number));
const eventType = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/),
  fc.constantFrom('member.joined', 'presence.x', 'Bad Type', ''),
);
const plausibleBody = fc
  .oneof(
    fc.record({ id: roomId, name: roomName, capacity }, { requiredKeys: ['name'] }),
    fc.record({ type: eventType, data: anyValue }),
    fc.record({ id: roomId, name: roomName, type: eventType, data: anyValue }, { requiredKeys: [] }),
    fc.record({
      events: fc.array(fc.record({ room: roomId, type: eventType, data: anyValue }, { requiredKeys: [] }), {
        maxLength: 4,
      }),
    }),
  )
  .map((fields) => JSON.stringify(fields));

const body = fc.oneof(
  { weight: 6, arbitrary: plausibleBody },
  { weight: 3, arbitrary: jsonText },
  { weight: 2, arbitrary: fc.tuple(plausibleBody, textEdits).map(([text, edits]) => applyEdits(text, edits)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) },
  // Over the 80 KiB body limit.
  { weight: 1, arbitrary: fc.integer({ min: 81_920, max: 120_000 }).map((n) => `{"data":"${'x'.repeat(n)}"}`) },
);

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
);

type TokenName = keyof typeof tokens;
const authorization = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<TokenName>('member', 'stranger', 'service', 'expired').map((name) => ({ token: name })),
  },
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    'Basic YTpi',
    'Bearer a.b.c',
    'Bearer eyJhbGciOiJub25lIn0.e30.',
    'bearer x y',
  ),
);

const extraHeaders = fc.dictionary(
  fc.constantFrom('X-Forwarded-For', 'Accept', 'Accept-Charset', 'X-Request-Id', 'Origin', 'Cookie', 'Range'),
  fc.oneof(
    fc.constantFrom('*/*', 'application/xml', '127.0.0.1, ::1', 'bytes=0-1', 'null'),
    fc.string({ maxLength: 20 }),
  ),
  { maxKeys: 3 },
);

const call = fc.record({
  route: fc.constantFrom(...ROUTES),
  room: roomSegment,
  query,
  body: fc.option(body, { nil: undefined, freq: 8 }),
  contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, contentType),
  authorization,
  extraHeaders,
});
type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;

// ---- the run

/** Header values the HTTP client itself refuses to send (control characters) are left out. */
function isSendableHeader(value: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(value);
}

/** Like encodeURIComponent, but total: a lone surrogate goes out as the UTF-8 of U+FFFD. */
function percentEncode(segment: string): string {
  return [...Buffer.from(segment, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

async function send(c: Call): Promise<Response> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(c.extraHeaders)) if (isSendableHeader(value)) headers[name] = value;
  if (typeof c.authorization === 'string') headers.Authorization = c.authorization;
  else Object.assign(headers, bearer(tokens[c.authorization.token]));
  if (c.contentType) headers['Content-Type'] = c.contentType;
  const path = c.route.path(percentEncode(c.room));
  const hasBody = c.body !== undefined && c.route.method !== 'GET';
  return fetch(`${server.baseUrl}${path}?${c.query}`, {
    method: c.route.method,
    headers,
    body: hasBody ? c.body : undefined,
  });
}

/** Fails unless the response is a documented answer: JSON (or an empty 204), and a documented error below 500. */
async function expectDocumentedAnswer(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status, text).not.toBe(500);
  if (response.status === 204) {
    expect(text).toBe('');
    return;
  }
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const parsed = JSON.parse(text) as unknown;
  if (response.status >= 400) expectDocumentedError(response.status, parsed);
  else expect([200, 201]).toContain(response.status);
  expectNoInternals(text);
}

describe('fuzzed REST calls', () => {
  it('answer every call with a documented status and JSON body, never a 500', async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        await expectDocumentedAnswer(await send(c));
      }),
      { numRuns: NUM_RUNS },
    );
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers GET events with any after and limit exactly as documented: 200 within the rules, else 400', async () => {
    const isIn = (text: string, min: number, max: number) => {
      const n = Number(text);
      return Number.isSafeInteger(n) && n >= min && n <= max;
    };
    await fc.assert(
      fc.asyncProperty(fc.oneof(NUMBER_TOKENS, fc.integer().map(String)), NUMBER_TOKENS, async (after, limit) => {
        const response = await fetch(`${server.baseUrl}/v1/rooms/${PAGING_ROOM}/events?after=${after}&limit=${limit}`, {
          headers: bearer(tokens.member),
        });
        const status = response.status;
        await expectDocumentedAnswer(response);
        expect(status).toBe(isIn(after, 0, HISTORY) && isIn(limit, 1, 1000) ? 200 : 400);
      }),
      { numRuns: 60 },
    );
  });
});

// Inputs this fuzz once found answered with a 500, each pinned here so that it stays a documented 400.
describe('regressions: requests that were once 500s', () => {
  const member = () => bearer(tokens.member);

  it('a path with a malformed percent-encoding is 400 invalid_request (src/web/errors.ts)', async () => {
    await expectDocumentedAnswer(await fetch(`${server.baseUrl}/v1/rooms/%ZZ`, { headers: member() }));
  });

  it('a body declared gzip that is not gzip is 400 invalid_request (src/web/json-body.ts)', async () => {
    const response = await fetch(`${server.baseUrl}/v1/rooms`, {
      method: 'POST',
      headers: { ...member(), 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: '{"name":"x"}',
    });
    await expectDocumentedAnswer(response);
  });

  it('a gzip body declared deflate is 400 invalid_request (src/web/json-body.ts)', async () => {
    const response = await fetch(`${server.baseUrl}/v1/rooms`, {
      method: 'POST',
      headers: { ...member(), 'Content-Type': 'application/json', 'Content-Encoding': 'deflate' },
      body: gzipSync('{"name":"x"}'),
    });
    await expectDocumentedAnswer(response);
  });

  it('a cursor whose key holds NUL is 400 invalid_request (src/web/cursor.ts)', async () => {
    const nul = Buffer.from('k:\u0000').toString('base64url');
    await expectDocumentedAnswer(await fetch(`${server.baseUrl}/v1/rooms?cursor=${nul}`, { headers: member() }));
  });
});
