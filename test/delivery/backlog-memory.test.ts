import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, spawnServer } from '../support/child-server.js';
import { postgresTestDatabase } from '../support/databases.js';
import { publishOverSockets, seqRange } from '../support/delivery-subscriber.js';
import { createRoom } from '../support/rest.js';
import { serviceUrl } from '../support/services.js';
import { signToken } from '../support/tokens.js';

const EVENTS = 50_000;
const PAYLOAD = 'x'.repeat(500);
/**
 * What replaying the whole backlog may add to the server's own memory: the JavaScript heap plus
 * external memory (Buffers: frames, rows), less the embedded database's WebAssembly heap, which
 * V8 counts as external memory too (PGlite runs in the same process, and its heap is not the
 * server's buffering). Not RSS: the embedded database's pages would count there, whatever the
 * server does. The replay reads 500 events a page and sends through a send queue of at most
 * 1 MiB; a replay holding the whole backlog (~27 MiB of frames, plus as much again as rows and
 * their parsed data) would go over the bound. Measured here: +3 MiB (embedded); the replay read in
 * one page of 50,000 events instead of pages of 500: +96 MiB.
 */
const GROWTH_BOUND = 64 * 2 ** 20;
/** How often the server's memory is read while the replay runs (a measurement, not a wait). */
const SAMPLE_EVERY_MS = 50;

/** A database that outlives one server process: the PostgreSQL one, or an embedded data directory. */
interface Store {
  readonly env: Record<string, string>;
  dispose(): Promise<void>;
}

let store: Store;
let server: ChildServer | undefined;
let service: string;

beforeAll(async () => {
  const url = serviceUrl('DATABASE_URL');
  if (url) {
    const database = await postgresTestDatabase(url);
    store = { env: { DATABASE_URL: database.url! }, dispose: () => database.dispose() };
  } else {
    const dataDir = await mkdtemp(join(tmpdir(), 'roomcast-delivery-'));
    store = { env: { DATA_DIR: dataDir }, dispose: () => rm(dataDir, { recursive: true, force: true }) };
  }
  service = await signToken('backend', { scope: 'service' });
});
afterAll(async () => {
  await server?.stop();
  await store?.dispose();
});

/** A server over the shared store, keeping more history than the test publishes. */
function startServer(): Promise<ChildServer> {
  return spawnServer({ ...store.env, HISTORY_MAX_EVENTS: '100000' });
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The server's own memory as its metrics report it: heap + external, less the embedded database's heap. */
async function serverOwnBytes(server: ChildServer): Promise<number> {
  const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const read = (name: string) => {
    const line = new RegExp(`^${name} (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'm').exec(metrics);
    if (!line) throw new Error(`the server reports no ${name}`);
    return Number(line[1]);
  };
  return (
    read('nodejs_heap_size_used_bytes') +
    read('nodejs_external_memory_bytes') -
    read('roomcast_embedded_database_memory_bytes')
  );
}

/** Reads `serverOwnBytes` until `done` settles; resolves to the highest reading. */
async function peakWhile(server: ChildServer, done: Promise<unknown>): Promise<number> {
  let isDone = false;
  void done.finally(() => (isDone = true));
  let peak = 0;
  while (!isDone) {
    peak = Math.max(peak, await serverOwnBytes(server));
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
  }
  return Math.max(peak, await serverOwnBytes(server));
}

/** Joins with since = 0 and keeps only the seqs, so the test process stays light; resolves once `count` arrived. */
async function replayAll(
  server: ChildServer,
  room: string,
  count: number,
): Promise<{ seqs: number[]; reply: Record<string, unknown> }> {
  const socket = new WebSocket(server.wsUrl, ['roomcast.v1', `roomcast.token.${service}`]);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const seqs: number[] = [];
  let reply: Record<string, unknown> = {};
  const done = new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { op: string; seq?: number };
      if (frame.op === 'event') seqs.push(frame.seq!);
      else reply = frame;
      if (seqs.length === count) resolve();
    });
    socket.once('close', (code) => reject(new Error(`closed with ${code} after ${seqs.length} events`)));
  });
  socket.send(JSON.stringify({ op: 'join', id: 1, room, since: 0 }));
  await done;
  socket.close();
  return { seqs, reply };
}

describe('replaying a large backlog', () => {
  it(`sends all ${EVENTS} missed events in order, within a bounded amount of server memory`, async () => {
    const room = 'backlog';
    const filler = await startServer();
    server = filler;
    await createRoom(filler.baseUrl, service, room);
    const fillStarted = Date.now();
    await publishOverSockets(filler.wsUrl, service, room, EVENTS, 4, (i) => ({ i, PAYLOAD }));
    const fillMs = Date.now() - fillStarted;
    // The replay runs in a fresh process: the publishing left the filler's heap large and mostly
    // free, room enough to hide whatever the replay would allocate.
    expect(await filler.stop()).toBe(0);
    const replayer = await startServer();
    server = replayer;

    const baseline = await serverOwnBytes(replayer);
    const baselineRss = await replayer.resetPeakRss();
    const replayStarted = Date.now();
    const replay = replayAll(replayer, room, EVENTS);
    const peak = await peakWhile(replayer, replay);
    const { seqs, reply } = await replay;
    const replayMs = Date.now() - replayStarted;
    const peakRss = await replayer.peakRssBytes();

    console.log(
      `backlog (${process.env.DATABASE_URL ? 'postgres' : 'embedded'}): ${EVENTS} events stored in ${fillMs} ms, ` +
        `replayed in ${replayMs} ms; the server's heap + external memory ${mib(baseline)} before the replay, ` +
        `peak ${mib(peak)} during it (+${mib(peak - baseline)}; bound ${mib(GROWTH_BOUND)}); ` +
        `RSS ${mib(baselineRss)}, peak ${mib(peakRss)} (+${mib(peakRss - baselineRss)})`,
    );
    expect(reply).toMatchObject({ op: 'ok', room, seq: EVENTS, recovered: true });
    expect(seqs).toEqual(seqRange(1, EVENTS));
    expect(peak - baseline).toBeLessThan(GROWTH_BOUND);
  }, 240_000);
});
