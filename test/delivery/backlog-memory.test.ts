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
 * What replaying the whole backlog may add to the server's own memory: its peak RSS during the
 * replay, less what the embedded database's heap grew by meanwhile (PGlite runs in the same
 * process, and its heap grows as it reads the table, whatever the server does; on PostgreSQL it
 * does not count). The replay reads 500 events a page and sends through a send queue of at most
 * 1 MiB; measured, a fresh server grows by 11–30 MiB during it, mostly the heap's young
 * generation growing: the bound leaves about twice that. A replay holding the whole backlog
 * (~27 MiB of frames, plus as much again as rows and their parsed data) would go over it.
 */
const GROWTH_BOUND = 64 * 2 ** 20;

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

/** The embedded database's heap in the server process, as its metrics report it (0 on PostgreSQL). */
async function databaseHeapBytes(server: ChildServer): Promise<number> {
  const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const line = /^roomcast_embedded_database_memory_bytes (\d+)$/m.exec(metrics);
  if (!line) throw new Error('the server reports no roomcast_embedded_database_memory_bytes');
  return Number(line[1]);
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

    const databaseBefore = await databaseHeapBytes(replayer);
    const baselineRss = await replayer.resetPeakRss();
    const replayStarted = Date.now();
    const { seqs, reply } = await replayAll(replayer, room, EVENTS);
    const replayMs = Date.now() - replayStarted;
    const peakRss = await replayer.peakRssBytes();
    const databaseGrowth = (await databaseHeapBytes(replayer)) - databaseBefore;
    const serverGrowth = peakRss - baselineRss - databaseGrowth;

    console.log(
      `backlog (${process.env.DATABASE_URL ? 'postgres' : 'embedded'}): ${EVENTS} events stored in ${fillMs} ms, ` +
        `replayed in ${replayMs} ms; server RSS ${mib(baselineRss)} before the replay, peak ${mib(peakRss)} ` +
        `during it (+${mib(peakRss - baselineRss)}, of which the embedded database's heap +${mib(databaseGrowth)}; ` +
        `the server's own +${mib(serverGrowth)}, bound ${mib(GROWTH_BOUND)})`,
    );
    expect(reply).toMatchObject({ op: 'ok', room, seq: EVENTS, recovered: true });
    expect(seqs).toEqual(seqRange(1, EVENTS));
    expect(serverGrowth).toBeLessThan(GROWTH_BOUND);
  }, 240_000);
});
