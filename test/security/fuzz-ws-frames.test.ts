import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NUMBER_TOKENS,
  WS_ERROR_CODES,
  applyEdits,
  expectNoInternals,
  jsonText as json,
  textEdits,
} from '../support/security-fixtures.js';
import { roomLastSeq, seqRange } from '../support/delivery-subscriber.js';
import { bearer, createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { type ServerFrame, WsTestClient, isServerPush } from '../support/ws-test-client.js';

// Random and mutated client frames against a real server, with a healthy subscriber alongside.
// Every frame gets exactly one reply with a documented code (or the documented close), the
// server stays up, Object.prototype stays clean, and the subscriber misses nothing.

const MAX_FRAME_BYTES = 64 * 1024;
const LIVE_ROOM = 'fuzz-live';
const ROOMS = [LIVE_ROOM, 'fuzz-other', 'no-such-room'];
const NUM_RUNS = 500;

/** The op: mostly a real one, sometimes a string that is not, or a key of Object.prototype. */
const OP = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('join', 'publish', 'leave', 'unsubscribe', 'filter') },
  { weight: 1, arbitrary: fc.constantFrom('dance', '__proto__', 'constructor', 'toString', '') },
);

/** Values that pass a field's rule, or nearly do, so that frames reach every op's code. */
const OPERANDS: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(fc.integer(), fc.string({ maxLength: 130 }), NUMBER_TOKENS.map(Number)),
  room: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ROOMS) }, fc.constantFrom('UPPER', '', 'a'.repeat(65))),
  type: fc.oneof(
    { weight: 3, arbitrary: fc.constant('chat.message') },
    fc.constantFrom('member.joined', 'presence.x', 'Bad Type', 'a'.repeat(65)),
  ),
  data: fc.constant({ text: 'hi' }),
  since: fc.oneof(fc.nat({ max: 5 }), fc.nat()),
  epoch: fc.string({ maxLength: 130 }),
  types: fc.oneof(
    fc.constant(null),
    fc.array(fc.constantFrom('chat.message', 'tick'), { maxLength: 3 }),
    fc.array(fc.constantFrom('chat.message', 'Bad'), { maxLength: 120 }),
  ),
};

/** A field's value as JSON text: mostly plausible, sometimes any JSON at all (wrong types, edge numbers). */
const fieldText = (plausible: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: plausible.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: NUMBER_TOKENS },
    { weight: 1, arbitrary: json },
  );
const opFrame = fc
  .tuple(
    fc.option(fieldText(OP), { nil: undefined, freq: 10 }),
    fc.record(Object.fromEntries(Object.entries(OPERANDS).map(([name, plausible]) => [name, fieldText(plausible)])), {
      requiredKeys: [],
    }),
    fc.array(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), json), { maxLength: 2 }),
  )
  .map(([op, operands, extra]) => {
    const entries = [...(op === undefined ? [] : [['op', op]]), ...Object.entries(operands), ...extra];
    return `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
  });

const mutatedFrame = fc.tuple(opFrame, textEdits).map(([text, edits]) => applyEdits(text, edits));

/** A publish whose data nests arrays or objects (prototype keys included) up to far past any limit. */
const deepFrame = fc
  .tuple(fc.integer({ min: 1, max: 40_000 }), fc.constantFrom('[', '{"__proto__":', '{"constructor":{"prototype":'))
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : open.includes('constructor') ? '}}' : '}';
    const data = `${open.repeat(depth)}{"polluted":true}${close.repeat(depth)}`;
    return `{"op":"publish","id":"deep","room":"${LIVE_ROOM}","type":"deep","data":${data}}`;
  });

type FuzzFrame =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array }
  /** Raw bytes in a text frame: the WebSocket library must close 1007 when they are not UTF-8. */
  | { readonly kind: 'raw-text'; readonly bytes: Uint8Array };

const fuzzFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { weight: 6, arbitrary: opFrame.map((text) => ({ kind: 'text' as const, text })) },
  { weight: 3, arbitrary: mutatedFrame.map((text) => ({ kind: 'text' as const, text })) },
  { weight: 2, arbitrary: json.map((text) => ({ kind: 'text' as const, text })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }).map((text) => ({ kind: 'text' as const, text })) },
  { weight: 1, arbitrary: deepFrame.map((text) => ({ kind: 'text' as const, text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'binary' as const, bytes })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'raw-text' as const, bytes })) },
);

// ---- the run

/** How the server must answer a frame: one reply, or a close with this code. */
function expectedEnd(frame: FuzzFrame): 'reply' | 1007 | 1009 {
  if (frame.kind === 'binary') return 'reply';
  if (frame.kind === 'raw-text') return isUtf8(frame.bytes) ? 'reply' : 1007;
  return Buffer.byteLength(frame.text) > MAX_FRAME_BYTES ? 1009 : 'reply';
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The frame's own `id`, when it is a JSON object that has one. */
function idOf(frame: FuzzFrame): unknown {
  if (frame.kind !== 'text') return undefined;
  try {
    const value = JSON.parse(frame.text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>).id : undefined;
  } catch {
    return undefined;
  }
}

let server: TestServer;
let fuzzerToken: string;
let serviceToken: string;
let fuzzer: WsTestClient;
let sentinels = 0;

beforeAll(async () => {
  server = await startTestServer({ MAX_CONNECTIONS_PER_USER: '1000' });
  fuzzerToken = await signToken('fuzzer');
  serviceToken = await signToken('backend', { scope: 'service' });
  await createRoom(server.baseUrl, await signToken('owner'), LIVE_ROOM);
  await createRoom(server.baseUrl, await signToken('owner'), 'fuzz-other');
});
afterAll(() => server?.stop());

/** Sends one fuzzed frame, then a sentinel frame; resolves to what came back for the fuzzed one. */
async function exchange(frame: FuzzFrame): Promise<{ replies: ServerFrame[]; closeCode: number | undefined }> {
  if (fuzzer === undefined || fuzzer.closeCode !== undefined) {
    fuzzer = await WsTestClient.connect(server.wsUrl, fuzzerToken);
  }
  const client = fuzzer;
  const start = client.frames.length;
  if (frame.kind === 'text') client.socket.send(frame.text);
  else client.socket.send(Buffer.from(frame.bytes), { binary: frame.kind === 'binary' });
  if (expectedEnd(frame) !== 'reply') return { replies: [], closeCode: await client.closed() };
  // Replies come back in the order the frames were sent: what precedes the sentinel's answers this frame.
  const sentinel = `sentinel-${++sentinels}`;
  client.socket.send(JSON.stringify({ op: 'sentinel', id: sentinel }));
  await client.waitFor(() => client.frames.some((f) => f.id === sentinel) || client.closeCode !== undefined);
  // Pushes (events, presence) come whenever they come; the replies are the rest.
  const answered = client.frames.slice(start).filter((f) => !isServerPush(f));
  const sentinelAt = answered.findIndex((f) => f.id === sentinel);
  return { replies: sentinelAt < 0 ? answered : answered.slice(0, sentinelAt), closeCode: client.closeCode };
}

describe('fuzzed WebSocket frames', () => {
  it('answer every frame once with a documented code, and a subscriber alongside misses nothing', async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
    const watcher = await WsTestClient.connect(server.wsUrl, await signToken('watcher'));
    const joined = await watcher.request({ op: 'join', room: LIVE_ROOM });
    expect(joined).toMatchObject({ op: 'ok' });
    const publishes: Promise<unknown>[] = [];

    await fc.assert(
      fc.asyncProperty(fuzzFrame, async (frame) => {
        // An event published while the frame is handled, for the watcher to receive. supertest sends
        // nothing until `then` is called: calling it here starts the request now.
        publishes.push(
          request(server.baseUrl)
            .post(`/v1/rooms/${LIVE_ROOM}/events`)
            .set(bearer(serviceToken))
            .send({ type: 'tick', data: { n: publishes.length } })
            .expect(201)
            .then(() => undefined),
        );
        const expected = expectedEnd(frame);
        const { replies, closeCode } = await exchange(frame);
        if (expected !== 'reply') {
          expect(closeCode).toBe(expected);
          return;
        }
        expect(closeCode).toBeUndefined();
        expect(replies).toHaveLength(1);
        const reply = replies[0]!;
        expect(['ok', 'error']).toContain(reply.op);
        if (reply.op === 'error') {
          expect(WS_ERROR_CODES.has(reply.code as string), `undocumented code ${String(reply.code)}`).toBe(true);
          expectNoInternals(String(reply.message));
        }
        if ('id' in reply) expect(JSON.stringify(reply.id)).toBe(JSON.stringify(idOf(frame)));
      }),
      { numRuns: NUM_RUNS },
    );

    await Promise.all(publishes);
    const lastSeq = await roomLastSeq(server.baseUrl, serviceToken, LIVE_ROOM);
    await watcher.waitFor(() => watcher.events(LIVE_ROOM).at(-1)?.seq === lastSeq);
    expect(watcher.events(LIVE_ROOM).map((event) => event.seq)).toEqual(seqRange((joined.seq as number) + 1, lastSeq));
    expect(watcher.closeCode).toBeUndefined();

    await request(server.baseUrl).get('/healthz').expect(200);
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await Promise.all([watcher.close(), fuzzer.close()]);
  });
});
