import fc from 'fast-check';
import request from 'supertest';
import { expect } from 'vitest';
import { bearer } from './rest.js';
import type { TestServer } from './test-server.js';

/**
 * The REST error codes the protocol documents, with their status. `internal_error` is left out on
 * purpose: no input a client sends may cause one.
 */
export const REST_ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  room_not_found: 404,
  not_found: 404,
  room_exists: 409,
  room_full: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

/** The WebSocket error codes the protocol documents, `internal_error` left out as above. */
export const WS_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_message',
  'invalid_request',
  'unknown_op',
  'forbidden',
  'room_not_found',
  'room_full',
  'not_subscribed',
  'too_many_subscriptions',
  'rate_limited',
  'unavailable',
]);

/** What a stack trace, a file path or a database error looks like when it leaks into a response. */
const INTERNALS = [
  /\bat .*\(.*:\d+:\d+\)/,
  /\.(?:ts|js|mjs|cjs):\d+:\d+/,
  /node_modules/,
  /\b(?:RangeError|TypeError|SyntaxError|ReferenceError)\b/,
  /syntax error at or near/i,
  /invalid (?:byte sequence|input syntax)/i,
  /violates .* constraint/i,
  /duplicate key value/i,
  /stack depth limit/i,
  /\b(?:relation|column) "[^"]*"/i,
  /\bSELECT\b[\s\S]*\bFROM\b|\bINSERT INTO\b|\bUPDATE\b[\s\S]*\bSET\b|\bDELETE FROM\b/,
];

/** Fails when `text` carries anything that looks like a stack trace or SQL. */
export function expectNoInternals(text: string): void {
  for (const pattern of INTERNALS) expect(text, `response leaks ${pattern}`).not.toMatch(pattern);
}

/** Asserts the protocol's error body: a documented code, its status, a message, nothing else. */
export function expectDocumentedError(status: number, body: unknown): string {
  expect(body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  const { code, message } = (body as { error: { code: string; message: string } }).error;
  expect(REST_ERROR_STATUS[code], `undocumented code ${code}`).toBeDefined();
  expect(status, `status of ${code}`).toBe(REST_ERROR_STATUS[code]);
  expectNoInternals(message);
  return code;
}

/** What a refused call must leave unchanged: the room's last seq and member count. */
export interface RoomState {
  readonly lastSeq: number;
  readonly memberCount: number;
}

/** Reads a room's state with a token that may read any room (a service token). */
export async function roomState(server: TestServer, serviceToken: string, room: string): Promise<RoomState> {
  const response = await request(server.baseUrl).get(`/v1/rooms/${room}`).set(bearer(serviceToken));
  expect(response.status).toBe(200);
  return { lastSeq: response.body.lastSeq as number, memberCount: response.body.memberCount as number };
}

/** The newest stored event of a room, read with a service token. */
export async function lastEvent(server: TestServer, serviceToken: string, room: string): Promise<unknown> {
  const { lastSeq } = await roomState(server, serviceToken, room);
  const response = await request(server.baseUrl)
    .get(`/v1/rooms/${room}/events?after=${Math.max(0, lastSeq - 1)}`)
    .set(bearer(serviceToken));
  expect(response.status).toBe(200);
  return (response.body.items as unknown[]).at(-1);
}

// ---- fuzz generators of JSON text, kept as text so that number tokens, duplicate keys and
// prototype keys (`__proto__` as an own key) reach the server exactly as written.

/** Numbers at and past the edges: -0, beyond float range, beyond safe integers, underflow. */
export const NUMBER_TOKENS = fc.constantFrom(
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '1e308',
  '-1e308',
  '1e309',
  '1e-400',
  '18446744073709551616',
  '9007199254740993',
  '123456789012345678901234567890',
  '1E2',
);

/** Strings that have broken servers before: number look-alikes, SQL, NUL, a lone surrogate, RTL. */
export const SPECIAL_STRINGS = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  'undefined',
  '',
  "'; DROP TABLE events; --",
  '\u0000',
  '\ud800',
  '\u202eevil',
  '__proto__',
);

const longString = fc
  .tuple(fc.string({ minLength: 1, maxLength: 3 }), fc.integer({ min: 1_000, max: 30_000 }))
  .map(([unit, times]) => unit.repeat(times));
const stringValue = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) },
  { weight: 3, arbitrary: SPECIAL_STRINGS },
  { weight: 1, arbitrary: longString },
);
const KEYS = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'toString', 'hasOwnProperty', 'op', 'id'),
  fc.string({ maxLength: 6 }),
);

/** Any JSON value as text, with prototype keys at any depth. */
export const { jsonText } = fc.letrec<{ jsonText: string; leaf: string; array: string; object: string }>((tie) => ({
  jsonText: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('object')),
  leaf: fc.oneof(
    fc.constantFrom('null', 'true', 'false'),
    NUMBER_TOKENS,
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
    stringValue.map((s) => JSON.stringify(s)),
  ),
  array: fc.array(tie('jsonText'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  object: fc
    .array(fc.tuple(KEYS, tie('jsonText')), { maxLength: 4 })
    .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`),
}));

/** Edits that break well-formed text: cut it short, splice something in, drop a few characters. */
export const textEdits = fc.array(
  fc.tuple(fc.constantFrom('cut', 'insert', 'drop'), fc.nat(), fc.string({ maxLength: 3 })),
  { minLength: 1, maxLength: 3 },
);

export function applyEdits(text: string, edits: readonly (readonly [string, number, string])[]): string {
  return edits.reduce((frame, [edit, at, piece]) => {
    const i = frame.length === 0 ? 0 : at % frame.length;
    if (edit === 'cut') return frame.slice(0, i);
    if (edit === 'insert') return frame.slice(0, i) + piece + frame.slice(i);
    return frame.slice(0, i) + frame.slice(i + piece.length + 1);
  }, text);
}
