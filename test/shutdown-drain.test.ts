import { describe, expect, it, onTestFinished } from 'vitest';
import { clusterServices, startCluster } from './support/cluster.js';
import { ResumingSubscriber, roomLastSeq, seqRange } from './support/delivery-subscriber.js';
import { bearer, createRoom } from './support/rest.js';
import { signToken } from './support/tokens.js';

const { postgresUrl, redisUrl, skip } = clusterServices();

const CLIENTS = 200;
const WINDOW_MS = 2_000;
const ROOM = 'drain';

async function publish(baseUrl: string, service: string, n: number): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/rooms/${ROOM}/events`, {
    method: 'POST',
    headers: { ...bearer(service), 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'tick', data: n }),
  });
  expect(response.status).toBe(201);
}

describe.skipIf(skip)(`paced drain on shutdown ${skip ?? ''}`, () => {
  it('closes 200 connections with 1001 spread over SHUTDOWN_DRAIN_MS; each resumes on the other node, loss-free', async () => {
    const service = await signToken('backend', { scope: 'service' });
    const cluster = await startCluster(postgresUrl!, redisUrl!, 1);
    onTestFinished(() => cluster.stop());
    const [staying] = cluster.nodes;
    const leaving = await cluster.addNode({ SHUTDOWN_DRAIN_MS: String(WINDOW_MS) });
    await createRoom(leaving.baseUrl, service, ROOM);
    const clients: ResumingSubscriber[] = [];
    for (let c = 0; c < CLIENTS; c += 1) {
      const client = new ResumingSubscriber(leaving.wsUrl, await signToken(`user-${c}`), ROOM, `user-${c}`);
      await client.join();
      clients.push(client);
    }
    for (let n = 1; n <= 20; n += 1) await publish(leaving.baseUrl, service, n);
    await Promise.all(clients.map((client) => client.reached(20)));

    const closedAfterMs: number[] = [];
    const stoppedAt = Date.now();
    const resumed = clients.map(async (client) => {
      client.wsUrl = staying!.wsUrl;
      await client.connectionClosed();
      closedAfterMs.push(Date.now() - stoppedAt);
      await client.join();
    });
    leaving.child.kill('SIGTERM');
    // Events keep coming, through the node that stays, for as long as the drain lasts.
    for (let n = 21; closedAfterMs.length < CLIENTS; n += 1) await publish(staying!.baseUrl, service, n);
    await Promise.all(resumed);
    expect(await leaving.exited).toBe(0);

    const last = await roomLastSeq(staying!.baseUrl, service, ROOM);
    await Promise.all(clients.map((client) => client.reached(last)));
    for (const client of clients) {
      expect(client.problems).toEqual([]);
      expect(client.closeCodes[0]).toBe(1001);
      expect(client.seqs).toEqual(seqRange(1, last));
    }
    // Spread over the window, not all at once: the middle 80 % of the closes span most of it.
    closedAfterMs.sort((a, b) => a - b);
    expect(closedAfterMs[CLIENTS * 0.9]! - closedAfterMs[CLIENTS * 0.1]!).toBeGreaterThanOrEqual(WINDOW_MS * 0.5);
    expect(leaving.logs.some((line) => line.msg === 'closing connections' && line.connections === CLIENTS)).toBe(true);
    await Promise.all(clients.map((client) => client.closeAll()));
  });
});
