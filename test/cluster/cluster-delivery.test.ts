import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from '../support/child-server.js';
import {
  clusterServices,
  dropRedisConnections,
  startCluster,
  type TestCluster,
  waitUntilReady,
} from '../support/cluster.js';
import { ResumingSubscriber, roomLastSeq, seqRange } from '../support/delivery-subscriber.js';
import { createRoom } from '../support/rest.js';
import { signToken } from '../support/tokens.js';

const { postgresUrl, redisUrl, skip } = clusterServices();

const ROOMS = ['alpha', 'beta', 'gamma'];
const CLIENTS = 30;

let service: string;
let cluster: TestCluster | undefined;

beforeAll(async () => {
  service = await signToken('backend', { scope: 'service' });
});
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function createRooms(node: ChildServer): Promise<void> {
  for (const id of ROOMS) {
    await createRoom(node.baseUrl, service, id);
  }
}

/** `CLIENTS` users, spread over the nodes and the rooms, each joined (with since 0) and following its room. */
async function joinClients(nodes: ChildServer[]): Promise<ResumingSubscriber[]> {
  const clients: ResumingSubscriber[] = [];
  for (let c = 0; c < CLIENTS; c += 1) {
    const token = await signToken(`user-${c}`);
    const client = new ResumingSubscriber(nodes[c % nodes.length]!.wsUrl, token, ROOMS[c % ROOMS.length]!, `user-${c}`);
    expect(await client.join()).toMatchObject({ op: 'ok' });
    clients.push(client);
  }
  return clients;
}

/** Posts `count` events from 6 callers, each through a node picked at random among those alive. */
async function publishThroughRandomNodes(
  cluster: TestCluster,
  count: number,
  onPublished?: (n: number) => Promise<void>,
) {
  let next = 0;
  let published = 0;
  const caller = async () => {
    for (let i = next++; i < count; i = next++) {
      const room = ROOMS[i % ROOMS.length]!;
      for (;;) {
        const live = cluster.live();
        const node = live[Math.floor(Math.random() * live.length)]!;
        const response = await fetch(`${node.baseUrl}/v1/rooms/${room}/events`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${service}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ type: 'tick', data: { i } }),
        }).catch(() => undefined);
        // A node killed mid-request: the call is retried on another node, as a load balancer would.
        if (response?.status === 201) break;
      }
      published += 1;
      await onPublished?.(published);
    }
  };
  await Promise.all(Array.from({ length: 6 }, caller));
}

/** Waits for every client to reach its room's last seq, then checks each holds exactly 1..last. */
async function expectCompleteStreams(node: ChildServer, clients: ResumingSubscriber[]): Promise<void> {
  const last = new Map<string, number>();
  for (const room of ROOMS) last.set(room, await roomLastSeq(node.baseUrl, service, room));
  await Promise.all(clients.map((client) => client.reached(last.get(client.room)!, 60_000)));
  for (const client of clients) {
    expect(client.problems, client.name).toEqual([]);
    expect(client.seqs, client.name).toEqual(seqRange(1, last.get(client.room)!));
  }
}

/** Rejoins every client whose connection ends, on a node still alive, with since and epoch. */
function keepFollowing(cluster: TestCluster, clients: ResumingSubscriber[]): { stop(): Promise<void> } {
  let isStopped = false;
  const loops = clients.map(async (client, c) => {
    for (;;) {
      await client.connectionClosed();
      if (isStopped) return;
      const live = cluster.live();
      client.wsUrl = live[c % live.length]!.wsUrl;
      const reply = await client.join();
      expect(reply, `${client.name} rejoin`).toMatchObject({ op: 'ok', recovered: true });
    }
  });
  return {
    async stop() {
      isStopped = true;
      await Promise.all(clients.map((client) => client.closeAll()));
      await Promise.all(loops);
    },
  };
}

// Three server processes and thousands of stored events: minutes on a loaded two-core machine.
describe.skipIf(skip)(`three nodes sharing PostgreSQL and Redis ${skip ?? ''}`, { timeout: 180_000 }, () => {
  it('delivers 3,000 events published through random nodes to 30 clients spread over them, each room in seq order', async () => {
    cluster = await startCluster(postgresUrl!, redisUrl!, 3);
    await createRooms(cluster.nodes[0]!);
    const clients = await joinClients(cluster.nodes);
    await publishThroughRandomNodes(cluster, 3_000);
    await expectCompleteStreams(cluster.nodes[0]!, clients);
    await Promise.all(clients.map((client) => client.closeAll()));
  });

  it('loses nothing when a node is killed mid-stream: its clients rejoin another node with since', async () => {
    cluster = await startCluster(postgresUrl!, redisUrl!, 3);
    await createRooms(cluster.nodes[0]!);
    const clients = await joinClients(cluster.nodes);
    const following = keepFollowing(cluster, clients);
    const victim = cluster.nodes[1]!;
    await publishThroughRandomNodes(cluster, 1_500, async (published) => {
      if (published === 500) cluster!.kill(victim);
    });
    expect(victim.child.signalCode).toBe('SIGKILL');
    await expectCompleteStreams(cluster.nodes[0]!, clients);
    await following.stop();
  });

  it('leaves no gap when a node loses its Redis connections mid-stream', async () => {
    cluster = await startCluster(postgresUrl!, redisUrl!, 3);
    await createRooms(cluster.nodes[0]!);
    const clients = await joinClients(cluster.nodes);
    const cutOff = cluster.nodes[2]!;
    let dropped = Promise.resolve(0);
    await publishThroughRandomNodes(cluster, 1_500, async (published) => {
      if (published === 300 || published === 900) dropped = dropRedisConnections(redisUrl!, cutOff);
    });
    expect(await dropped).toBeGreaterThan(0);
    await waitUntilReady(cutOff);
    await expectCompleteStreams(cluster.nodes[0]!, clients);
    await Promise.all(clients.map((client) => client.closeAll()));
  });
});
