import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from '../support/child-server.js';
import { clusterServices, startCluster, type TestCluster, waitUntilReady } from '../support/cluster.js';
import { ResumingSubscriber, publishOverRest, roomLastSeq, seqRange } from '../support/delivery-subscriber.js';
import { createRoom } from '../support/rest.js';
import { type TcpProxy, startTcpProxy } from '../support/tcp-proxy.js';
import { signToken } from '../support/tokens.js';

const { postgresUrl, redisUrl, skip } = clusterServices();

let cluster: TestCluster;
let proxy: TcpProxy;
let service: string;

beforeAll(async () => {
  if (skip) return;
  service = await signToken('backend', { scope: 'service' });
  const redis = new URL(redisUrl!);
  proxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
  cluster = await startCluster(postgresUrl!, redisUrl!, 1);
  // The second node reaches Redis only through the proxy, so the test can take Redis away from it.
  await cluster.addNode({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
});
afterAll(async () => {
  await cluster?.stop();
  await proxy?.close();
});

async function readiness(node: ChildServer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${node.baseUrl}/readyz`);
  return { status: response.status, body: await response.json() };
}

describe.skipIf(skip)(`a node that loses Redis ${skip ?? ''}`, { timeout: 120_000 }, () => {
  it('keeps publishing, reports the broker down, and on reconnect delivers everything both ways', async () => {
    const [healthy, cutOff] = cluster.nodes as [ChildServer, ChildServer];
    await createRoom(healthy.baseUrl, service, 'outage');
    const onHealthy = new ResumingSubscriber(healthy.wsUrl, service, 'outage', 'on-healthy');
    const onCutOff = new ResumingSubscriber(cutOff.wsUrl, service, 'outage', 'on-cut-off');
    await onHealthy.join();
    await onCutOff.join();
    await publishOverRest(healthy.baseUrl, service, 'outage', 20);
    await onCutOff.reached(20);

    const linesBeforeCut = cutOff.logs.length;
    proxy.cut();
    // The node logs the loss of each of its two Redis connections; neither can be ready again while cut.
    await Promise.all(
      ['commands', 'subscriber'].map((connection) =>
        cutOff.waitForLog(
          (line) =>
            line.msg === 'redis connection lost; reconnecting' && String(line.connection).endsWith(`-${connection}`),
          `the cut-off node losing its ${connection} connection`,
          { timeoutMs: 20_000, from: linesBeforeCut },
        ),
      ),
    );
    expect(await readiness(cutOff)).toEqual({
      status: 503,
      body: { error: { code: 'unavailable', message: 'not answering: broker, presence' } },
    });
    // Both nodes go on storing what is published through them.
    expect(await publishOverRest(cutOff.baseUrl, service, 'outage', 30)).toHaveLength(30);
    expect(await publishOverRest(healthy.baseUrl, service, 'outage', 30)).toHaveLength(30);

    proxy.restore();
    await waitUntilReady(cutOff);
    const last = await roomLastSeq(healthy.baseUrl, service, 'outage');
    expect(last).toBe(80);
    await Promise.all([onHealthy.reached(last), onCutOff.reached(last)]);
    for (const subscriber of [onHealthy, onCutOff]) {
      expect(subscriber.problems).toEqual([]);
      expect(subscriber.seqs).toEqual(seqRange(1, last));
    }
    await Promise.all([onHealthy.closeAll(), onCutOff.closeAll()]);
  });
});
