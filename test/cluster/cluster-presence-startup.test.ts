import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from '../support/child-server.js';
import { clusterServices, presenceOn, startCluster, type TestCluster } from '../support/cluster.js';
import { createRoom } from '../support/rest.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

const { postgresUrl, redisUrl, skip } = clusterServices();
// The heartbeat runs every TTL/3 (20 s): a node that missed its first sync cannot heal within the test.
const TTL_MS = 60_000;
// pino's numeric levels.
const WARN = 40;

let cluster: TestCluster;
let service: string;
const open: WsTestClient[] = [];

beforeAll(async () => {
  if (skip) return;
  service = await signToken('backend', { scope: 'service' });
  // startCluster resolves once each fresh node answers /readyz with 200.
  cluster = await startCluster(postgresUrl!, redisUrl!, 2, { PRESENCE_TTL_MS: String(TTL_MS) });
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  await cluster?.stop();
});

/** The warn and error lines that carry a stack trace: an expected outage is one line without one. */
function stackTraces(node: ChildServer): { msg: unknown; err: unknown }[] {
  return node.logs
    .filter((entry) => typeof entry.level === 'number' && entry.level >= WARN)
    .filter((entry) => typeof (entry.err as { stack?: unknown } | undefined)?.stack === 'string')
    .map(({ msg, err }) => ({ msg, err: (err as { message?: unknown }).message }));
}

describe.skipIf(skip)(`presence on freshly started nodes ${skip ?? ''}`, { timeout: 60_000 }, () => {
  it('lists a user who joins on one node on the other as soon as the join is answered', async () => {
    const [a, b] = cluster.nodes as [ChildServer, ChildServer];
    const room = 'fresh';
    await createRoom(a.baseUrl, service, room);
    const ann = await WsTestClient.connect(b.wsUrl, await signToken('ann'));
    open.push(ann);
    expect(await ann.request({ op: 'join', room })).toMatchObject({ op: 'ok' });
    expect(await presenceOn(a, room, service)).toEqual([{ userId: 'ann', connections: 1 }]);
  });

  it('logs no stack trace while the nodes start', () => {
    const byNode = Object.fromEntries(cluster.nodes.map((node, i) => [`node ${'AB'[i]}`, stackTraces(node)]));
    expect(byNode).toEqual({ 'node A': [], 'node B': [] });
  });
});
