import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from '../support/child-server.js';
import { clusterServices, startCluster, type TestCluster } from '../support/cluster.js';
import { eventuallyAsync } from '../support/eventually.js';
import { createRoom, joinRoom, publishEvent } from '../support/rest.js';
import { signToken } from '../support/tokens.js';
import { type WebhookReceiver, startWebhookReceiver, webhookSecret } from '../support/webhook-receiver.js';
import { WsTestClient } from '../support/ws-test-client.js';

const { postgresUrl, redisUrl, skip } = clusterServices();
const ROOMS = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
const USERS = ['ann', 'bob', 'cy', 'dee'];
const EVENTS_PER_ROOM = 10;

/** The node's `roomcast_webhooks_delivered_total`. */
async function deliveredBy(node: ChildServer): Promise<number> {
  const text = await (await fetch(`${node.baseUrl}/metrics`)).text();
  return Number(/^roomcast_webhooks_delivered_total (\d+)$/m.exec(text)?.[1] ?? 0);
}

let cluster: TestCluster;
let receiver: WebhookReceiver;
let service: string;

beforeAll(async () => {
  if (skip) return;
  const secret = webhookSecret();
  receiver = await startWebhookReceiver(secret);
  service = await signToken('backend', { scope: 'service' });
  cluster = await startCluster(postgresUrl!, redisUrl!, 2, {
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: secret,
    WEBHOOK_EVENTS: 'room.*,member.*,chat.*',
  });
});
afterAll(async () => {
  await cluster?.stop();
  await receiver?.close();
});

describe.skipIf(skip)(`webhooks from a cluster ${skip ?? ''}`, { timeout: 120_000 }, () => {
  it('delivers each message once, from one node, with one room.occupied and one room.vacated per room', async () => {
    const [a, b] = cluster.nodes as [ChildServer, ChildServer];
    const nodeFor = (i: number) => (i % 2 === 0 ? a : b);
    const tokens = await Promise.all(USERS.map((user) => signToken(user)));
    for (const [i, room] of ROOMS.entries()) await createRoom(nodeFor(i).baseUrl, service, room);
    // Joins and publishes through both nodes at once.
    await Promise.all(
      ROOMS.flatMap((room) => [
        ...tokens.map((token, i) => joinRoom(nodeFor(i).baseUrl, token, room)),
        ...Array.from({ length: EVENTS_PER_ROOM }, (_, n) =>
          publishEvent(nodeFor(n).baseUrl, service, room, { type: 'chat.line', data: n }),
        ),
      ]),
    );
    // Two users connect to each room at the same moment, one on each node: the room is occupied once.
    const clients = await Promise.all(
      ROOMS.flatMap((room) =>
        [a, b].map(async (node, i) => {
          const client = await WsTestClient.connect(node.wsUrl, tokens[i]!);
          await client.request({ op: 'join', room });
          return client;
        }),
      ),
    );
    const count = (type: string) => receiver.accepted.filter((webhook) => webhook.payload.type === type).length;
    await receiver.until(() => count('room.occupied') === ROOMS.length, 'every room occupied');
    await Promise.all(clients.map((client) => client.close()));

    const expected = ROOMS.length * (1 + USERS.length + EVENTS_PER_ROOM + 2);
    await receiver.until(() => receiver.accepted.length >= expected, `${expected} webhooks delivered`, 30_000);
    const ids = receiver.received.map((webhook) => webhook.id);
    expect(ids).toHaveLength(expected);
    expect(new Set(ids).size).toBe(expected);
    expect(count('room.created')).toBe(ROOMS.length);
    expect(count('member.joined')).toBe(ROOMS.length * USERS.length);
    expect(count('chat.line')).toBe(ROOMS.length * EVENTS_PER_ROOM);
    expect(count('room.occupied')).toBe(ROOMS.length);
    expect(count('room.vacated')).toBe(ROOMS.length);
    for (const room of ROOMS) {
      const types = receiver.accepted
        .filter((webhook) => webhook.payload.data.room === room)
        .map((w) => w.payload.type);
      expect(types.indexOf('room.occupied')).toBeLessThan(types.indexOf('room.vacated'));
    }
    expect(receiver.received.every((webhook) => webhook.signatureError === undefined)).toBe(true);
    // Each delivery was counted by the one node that made it.
    await eventuallyAsync(
      async () => (await Promise.all([a, b].map(deliveredBy))).reduce((sum, n) => sum + n) === expected,
      10_000,
      `the nodes' delivered counts adding up to ${expected}`,
    );
  });
});
