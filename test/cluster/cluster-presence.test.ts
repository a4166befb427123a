import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from '../support/child-server.js';
import { clusterServices, presenceOn, startCluster, type TestCluster } from '../support/cluster.js';
import { createRoom } from '../support/rest.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

const { postgresUrl, redisUrl, skip } = clusterServices();
const TTL_MS = 1500;

let cluster: TestCluster;
let service: string;
const open: WsTestClient[] = [];

beforeAll(async () => {
  if (skip) return;
  service = await signToken('backend', { scope: 'service' });
  cluster = await startCluster(postgresUrl!, redisUrl!, 3, { PRESENCE_EVENTS: '1', PRESENCE_TTL_MS: String(TTL_MS) });
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  await cluster?.stop();
});

async function connect(node: ChildServer, token: string, room: string): Promise<WsTestClient> {
  const client = await WsTestClient.connect(node.wsUrl, token);
  open.push(client);
  expect(await client.request({ op: 'join', room })).toMatchObject({ op: 'ok' });
  return client;
}

describe.skipIf(skip)(`presence across nodes ${skip ?? ''}`, { timeout: 120_000 }, () => {
  it('counts connections on every node, announces first and last, and drops a killed node within the expiry', async () => {
    const [a, b, c] = cluster.nodes as [ChildServer, ChildServer, ChildServer];
    const room = 'lobby';
    await createRoom(a.baseUrl, service, room);
    const watcher = await connect(c, service, room);
    const [ann, bob] = await Promise.all([signToken('ann'), signToken('bob')]);

    await connect(a, ann, room);
    await connect(b, ann, room);
    await connect(a, bob, room);
    await watcher.waitFor(() => watcher.presenceEvents(room).length === 2, 10_000, 'two joined events');
    expect(await presenceOn(c, room, service)).toEqual([
      { userId: 'ann', connections: 2 },
      { userId: 'bob', connections: 1 },
    ]);

    // Node A dies without a word: its share leaves presence once its heartbeat expires.
    cluster.kill(a);
    await watcher.waitFor(() => watcher.presenceEvents(room).length === 3, 5 * TTL_MS + 5_000, 'bob left');
    expect(watcher.presenceEvents(room)).toEqual(['presence.joined:ann', 'presence.joined:bob', 'presence.left:bob']);
    expect(await presenceOn(c, room, service)).toEqual([{ userId: 'ann', connections: 1 }]);
  });
});
