import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type ChildServer, spawnServer } from './child-server.js';
import { type TestDatabase, postgresTestDatabase } from './databases.js';
import { eventuallyAsync } from './eventually.js';
import { bearer } from './rest.js';
import { serviceUrl, skipReason } from './services.js';

/** What a cluster test needs, PostgreSQL and Redis; `skip` is why its suite is skipped when one is missing. */
export function clusterServices(): { postgresUrl?: string; redisUrl?: string; skip?: string } {
  const postgresUrl = serviceUrl('DATABASE_URL');
  const redisUrl = serviceUrl('REDIS_URL');
  const missing = !postgresUrl ? 'DATABASE_URL' : !redisUrl ? 'REDIS_URL' : undefined;
  return { postgresUrl, redisUrl, skip: missing && skipReason(missing) };
}

/** The users a node lists as present in the room (`GET /v1/rooms/:room/presence`), by user id. */
export async function presenceOn(
  node: ChildServer,
  room: string,
  token: string,
): Promise<{ userId: string; connections: number }[]> {
  const response = await fetch(`${node.baseUrl}/v1/rooms/${room}/presence`, { headers: bearer(token) });
  const body = (await response.json()) as { items: { userId: string; connections: number }[] };
  return body.items
    .map(({ userId, connections }) => ({ userId, connections }))
    .sort((a, b) => a.userId.localeCompare(b.userId));
}

/** Several roomcast processes sharing one PostgreSQL database and one Redis, as a scaled-out deployment. */
export interface TestCluster {
  readonly nodes: ChildServer[];
  /** The Redis key and channel prefix of this cluster alone. */
  readonly prefix: string;
  /** The PostgreSQL database the nodes share. */
  readonly databaseUrl: string;
  /** Starts one more node and waits until it is ready (database and broker answer). */
  addNode(env?: Record<string, string>): Promise<ChildServer>;
  /** The nodes neither killed nor exited. */
  live(): ChildServer[];
  /** SIGKILLs the node; from this moment `live()` leaves it out. */
  kill(node: ChildServer): void;
  stop(): Promise<void>;
}

export async function startCluster(
  postgresUrl: string,
  redisUrl: string,
  size: number,
  env: Record<string, string> = {},
): Promise<TestCluster> {
  const database: TestDatabase = await postgresTestDatabase(postgresUrl, false);
  const prefix = `roomcast-test-${randomUUID()}`;
  const nodes: ChildServer[] = [];
  const killed = new Set<ChildServer>();
  const addNode = async (extra: Record<string, string> = {}) => {
    const node = await spawnServer({
      DATABASE_URL: database.url!,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      ...env,
      ...extra,
    });
    nodes.push(node);
    await waitUntilReady(node);
    return node;
  };
  for (let i = 0; i < size; i += 1) await addNode();
  return {
    nodes,
    prefix,
    databaseUrl: database.url!,
    addNode,
    live: () => nodes.filter((node) => !killed.has(node) && node.child.exitCode === null),
    kill(node) {
      killed.add(node);
      node.child.kill('SIGKILL');
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      await database.dispose();
    },
  };
}

/** Resolves once `/readyz` answers 200. */
export function waitUntilReady(node: ChildServer, timeoutMs = 20_000): Promise<void> {
  return eventuallyAsync(
    () =>
      fetch(`${node.baseUrl}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      ),
    timeoutMs,
    `node on port ${node.port} ready`,
  );
}

/** Closes, from the Redis side, every connection the node holds to Redis (as a Redis restart would). */
export async function dropRedisConnections(redisUrl: string, node: ChildServer): Promise<number> {
  const nodeId = node.logs.find((entry) => entry.msg === 'roomcast listening')?.node;
  if (typeof nodeId !== 'string') throw new Error('the node did not log its id');
  const admin = new Redis(redisUrl);
  try {
    const clients = (await admin.client('LIST')) as string;
    let killed = 0;
    for (const line of clients.split('\n')) {
      const id = /\bid=(\d+)/.exec(line)?.[1];
      if (id && line.includes(nodeId)) killed += Number(await admin.client('KILL', 'ID', id));
    }
    return killed;
  } finally {
    admin.disconnect();
  }
}
