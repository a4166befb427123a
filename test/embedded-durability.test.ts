import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, spawnServer } from './support/child-server.js';
import { bearer, createRoom } from './support/rest.js';
import { signToken } from './support/tokens.js';

const PUBLISHERS = 16;
/** SIGKILL once this many publishes have been acknowledged. */
const KILL_AFTER = 600;

let dataDir: string;
let service: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roomcast-durable-'));
  service = await signToken('backend', { scope: 'service' });
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** Publishes back to back until the server stops answering; returns `publisher:n` → seq for each 201. */
async function publishUntilGone(server: ChildServer, room: string, publisher: number, acked: Map<string, number>) {
  for (let n = 0; ; n += 1) {
    const response = await fetch(`${server.baseUrl}/v1/rooms/${room}/events`, {
      method: 'POST',
      headers: { ...bearer(service), 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'chat', data: { publisher, n } }),
    }).catch(() => undefined);
    if (!response) return;
    if (response.status === 201) acked.set(`${publisher}:${n}`, ((await response.json()) as { seq: number }).seq);
    else return;
  }
}

async function storedEvents(
  server: ChildServer,
  room: string,
): Promise<{ seq: number; data: { publisher: number; n: number } }[]> {
  const events: { seq: number; data: { publisher: number; n: number } }[] = [];
  for (let after = 0; ;) {
    const response = await fetch(`${server.baseUrl}/v1/rooms/${room}/events?after=${after}&limit=1000`, {
      headers: bearer(service),
    });
    const page = (await response.json()) as { items: { seq: number; data: { publisher: number; n: number } }[] };
    if (page.items.length === 0) return events;
    events.push(...page.items);
    after = page.items.at(-1)!.seq;
  }
}

describe('the embedded database under kill -9', () => {
  it('keeps every publish it acknowledged, in its seq, with no gap', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: join(dataDir, 'db') };
    const first = await spawnServer(env);
    const room = 'durable';
    await createRoom(first.baseUrl, service, room);
    const acked = new Map<string, number>();
    const publishing = Promise.all(
      Array.from({ length: PUBLISHERS }, (_, publisher) => publishUntilGone(first, room, publisher, acked)),
    );
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (acked.size < KILL_AFTER) return;
        clearInterval(check);
        resolve();
      }, 5);
    });
    first.child.kill('SIGKILL');
    await publishing;
    await first.exited;

    const second = await spawnServer(env);
    try {
      const stored = await storedEvents(second, room);
      const storedSeqOf = new Map(stored.map((event) => [`${event.data.publisher}:${event.data.n}`, event.seq]));
      const lost = [...acked].filter(([key, seq]) => storedSeqOf.get(key) !== seq);
      expect(lost, `${lost.length} of ${acked.size} acknowledged publishes lost or moved`).toEqual([]);
      expect(stored.map((event) => event.seq)).toEqual(stored.map((_, i) => i + 1));
      console.info(
        `kill -9 (embedded): ${acked.size} acknowledged publishes of ${PUBLISHERS} publishers, ${stored.length} stored, 0 lost`,
      );
    } finally {
      await second.stop();
    }
  }, 90_000);
});
