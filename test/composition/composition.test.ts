import { pino } from 'pino';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/composition/cluster.js';
import { developmentMode } from '../../src/composition/development-mode.js';
import { registerNode } from '../../src/composition/register-node.js';
import { TOKENS, type Token, resolverFor } from '../../src/composition/tokens.js';
import { LocalPresence } from '../../src/local/local-presence.js';
import { RedisPresence } from '../../src/cluster/redis-presence.js';
import { type TestDatabase, embeddedTestDatabase } from '../support/databases.js';
import { serviceUrl, skipReason } from '../support/services.js';
import { testConfig } from '../support/test-server.js';
import { webhookSecret } from '../support/webhook-receiver.js';

const logger = pino({ level: 'silent' });
const redisUrl = serviceUrl('REDIS_URL');
const CLUSTER_ONLY = [TOKENS.redisPresence, TOKENS.broker, TOKENS.clusterPusher];
const POSTGRES_ONLY = [TOKENS.storedEventListener];
const SEQUENCED = [TOKENS.sequencedDelivery, TOKENS.sequencedPusher];
const WEBHOOKS_ONLY = [TOKENS.webhookDelivery, TOKENS.roomOccupancy];
const WEBHOOKS_ON = { WEBHOOK_URL: 'http://127.0.0.1:9/hooks', WEBHOOK_SECRET: webhookSecret() };
/** The tokens in the order TOKENS lists them. */
const inTokenOrder = (tokens: readonly symbol[]) =>
  (Object.values(TOKENS) as symbol[]).filter((token) => tokens.includes(token));

let database: TestDatabase;
beforeAll(async () => {
  database = await embeddedTestDatabase();
});
afterAll(() => database?.dispose());

/** Registers everything as buildApp does, with Redis when `url` is given; nothing is started. */
async function compose(url?: string, env: Record<string, string> = {}) {
  const container = rootContainer.createChildContainer();
  const config = testConfig(url ? { REDIS_URL: url, ...env } : env);
  const redis = url ? await openRedis(url, config, 'composition-test', logger) : undefined;
  registerNode(container, {
    config,
    devMode: developmentMode(config),
    logger,
    database: database.db,
    cluster: redis && { redis, nodeId: 'composition-test' },
  });
  return { container, redis };
}

/** Resolves every token that is registered (twice: each is one instance) and returns the unregistered ones. */
function resolveEverything(container: DependencyContainer): symbol[] {
  const get = resolverFor(container);
  const missing: symbol[] = [];
  for (const key of Object.values(TOKENS) as Token<unknown>[]) {
    if (!container.isRegistered(key)) {
      missing.push(key);
      continue;
    }
    expect(get(key)).toBeDefined();
    expect(get(key)).toBe(get(key));
  }
  return missing;
}

describe('the composition', () => {
  it('resolves every registration of a single node under vitest, each once, with no cluster part', async () => {
    const { container } = await compose();
    expect(resolveEverything(container)).toEqual(
      inTokenOrder([...CLUSTER_ONLY, ...SEQUENCED, ...POSTGRES_ONLY, ...WEBHOOKS_ONLY]),
    );
    const get = resolverFor(container);
    expect(get(TOKENS.pusher)).toBe(get(TOKENS.hub));
    expect(get(TOKENS.presence)).toBeInstanceOf(LocalPresence);
  });

  it('on PostgreSQL, puts seq-ordered delivery before the Hub of a single node and listens for SQL publishes', async () => {
    const { container } = await compose(undefined, { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/unused' });
    expect(resolveEverything(container)).toEqual(inTokenOrder([...CLUSTER_ONLY, ...WEBHOOKS_ONLY]));
    const get = resolverFor(container);
    expect(get(TOKENS.pusher)).toBe(get(TOKENS.sequencedPusher));
    expect(get(TOKENS.roomFeed)).toBe(get(TOKENS.sequencedDelivery));
    expect(get(TOKENS.presencePusher)).toBe(get(TOKENS.hub));
    await get(TOKENS.sequencedPusher).stop();
  });

  it.skipIf(!redisUrl)(
    `resolves every registration of a cluster node ${redisUrl ? '' : skipReason('REDIS_URL')}`,
    async () => {
      const { container, redis } = await compose(redisUrl, WEBHOOKS_ON);
      try {
        expect(resolveEverything(container)).toEqual(POSTGRES_ONLY);
        const get = resolverFor(container);
        expect(get(TOKENS.pusher)).toBe(get(TOKENS.clusterPusher));
        expect(get(TOKENS.roomFeed)).toBe(get(TOKENS.sequencedDelivery));
        expect(get(TOKENS.presence)).toBeInstanceOf(RedisPresence);
        await get(TOKENS.presence).stop();
        expect(get(TOKENS.sequencedPusher)).toBe(get(TOKENS.clusterPusher));
        await get(TOKENS.clusterPusher).stop();
      } finally {
        redis?.commands.disconnect();
        redis?.subscriber.disconnect();
      }
    },
  );

  it('resolves the webhook delivery and the room occupancy only with WEBHOOK_URL, and occupancy only when sent', async () => {
    const singleNode = [...CLUSTER_ONLY, ...SEQUENCED, ...POSTGRES_ONLY];
    expect(resolveEverything((await compose(undefined, WEBHOOKS_ON)).container)).toEqual(inTokenOrder(singleNode));
    const membersOnly = await compose(undefined, { ...WEBHOOKS_ON, WEBHOOK_EVENTS: 'member.*' });
    expect(resolveEverything(membersOnly.container)).toEqual(inTokenOrder([...singleNode, TOKENS.roomOccupancy]));
  });
});
