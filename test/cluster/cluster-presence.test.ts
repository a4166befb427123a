import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from '../support/child-server.js';
import { clusterServices, presenceOn, startCluster, type TestCluster } from '../support/cluster.js';
import { createRoom } from '../support/rest.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

const { postgresUrl, redisUrl, skip } = clusterServices();
const TTL_MS = 1500;
const DIFF_MS = 400;

let cluster: TestCluster;
let service: string;
/** Listens on the cluster's channel: the presence messages the nodes sent, as JSON texts. */
let listener: Redis;
const presenceMessages: string[] = [];
const open: WsTestClient[] = [];

beforeAll(async () => {
  if (skip) return;
  service = await signToken('backend', { scope: 'service' });
  cluster = await startCluster(postgresUrl!, redisUrl!, 3, {
    PRESENCE_TTL_MS: String(TTL_MS),
    PRESENCE_DIFF_MS: String(DIFF_MS),
  });
  listener = new Redis(redisUrl!);
  await listener.subscribe(`${cluster.prefix}:pushes`);
  listener.on('message', (_channel: string, text: string) => {
    if (text.includes('"presence":')) presenceMessages.push(text);
  });
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  listener?.disconnect();
  await cluster?.stop();
});

async function connect(node: ChildServer, token: string, room: string): Promise<WsTestClient> {
  const client = await WsTestClient.connect(node.wsUrl, token);
  open.push(client);
  expect(await client.request({ op: 'join', room })).toMatchObject({ op: 'ok' });
  return client;
}

describe.skipIf(skip)(`presence across nodes ${skip ?? ''}`, { timeout: 120_000 }, () => {
  it('lists a join on every node once it is answered, and sends diffs between nodes, one message per room per window', async () => {
    const [a, b, c] = cluster.nodes as [ChildServer, ChildServer, ChildServer];
    const room = 'lobby';
    await createRoom(a.baseUrl, service, room);
    const watcher = await connect(c, service, room);
    const names = ['ann', 'bob', 'carl', 'dora', 'eve', 'finn'];
    const tokens = await Promise.all(names.map((name) => signToken(name)));

    await connect(a, tokens[0]!, room);
    for (const node of [a, b, c])
      expect(await presenceOn(node, room, service)).toEqual([{ userId: 'ann', connections: 1 }]);
    await watcher.waitFor(() => watcher.presence(room)?.count === 1, 10_000, 'ann present on node C');

    // A burst on node A: a handful of messages between the nodes, not one per change.
    const before = presenceMessages.length;
    await Promise.all(tokens.slice(1).map((token) => connect(a, token, room)));
    await connect(b, tokens[0]!, room);
    await watcher.waitFor(() => watcher.presence(room)?.count === names.length, 10_000, 'everyone present on node C');
    expect(watcher.presence(room)).toEqual({ count: names.length, users: names });
    expect(presenceMessages.length - before).toBeLessThanOrEqual(3);

    // Node A dies without a word: its share leaves presence once its heartbeat expires; ann stays (node B).
    cluster.kill(a);
    await watcher.waitFor(() => watcher.presence(room)?.count === 1, 5 * TTL_MS + 5_000, 'node A users left');
    expect(watcher.presence(room)).toEqual({ count: 1, users: ['ann'] });
    expect(await presenceOn(c, room, service)).toEqual([{ userId: 'ann', connections: 1 }]);
    const late = await connect(c, await signToken('gus'), room);
    await late.waitFor(() => late.presence(room), 10_000, 'a snapshot');
    expect(late.presence(room)).toEqual({ count: 2, users: ['ann', 'gus'] });
  });
});
