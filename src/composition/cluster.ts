import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { RedisBroker } from '../cluster/redis-broker.js';
import { connectRedis } from '../cluster/redis-connection.js';
import { RedisPresence } from '../cluster/redis-presence.js';
import { ClusterPusher } from '../usecase/cluster-pusher.js';
import type { Config } from './config.js';
import { registerSequencedDelivery } from './sequenced-delivery.js';
import { TOKENS, provide } from './tokens.js';

/** The two connections of a node in a cluster: one for commands and publishing, one that listens. */
export interface RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
}

/** Opens the node's Redis connections; `nodeId` tells them apart in Redis' CLIENT LIST. */
export async function openRedis(
  url: string,
  config: Config,
  nodeId: string,
  logger: Logger,
): Promise<RedisConnections> {
  const name = `${config.redisPrefix}-${nodeId}`;
  return {
    commands: await connectRedis(url, { name: `${name}-commands`, queueWhileDisconnected: false }, logger),
    subscriber: await connectRedis(url, { name: `${name}-subscriber`, queueWhileDisconnected: true }, logger),
  };
}

/** A node of a cluster (REDIS_URL): pushes, presence and REST rate limits shared through Redis. */
export function registerCluster(
  container: DependencyContainer,
  config: Config,
  logger: Logger,
  redis: RedisConnections,
  nodeId: string,
): void {
  const prefix = config.redisPrefix;
  provide(container, TOKENS.redisPresence, () => {
    return new RedisPresence(redis.commands, { nodeId, prefix, ttlMs: config.presenceTtlMs }, logger);
  });
  provide(container, TOKENS.presence, (get) => get(TOKENS.redisPresence));
  provide(container, TOKENS.broker, () => new RedisBroker(redis.commands, redis.subscriber, nodeId, prefix, logger));
  registerSequencedDelivery(container, logger);
  provide(
    container,
    TOKENS.clusterPusher,
    (get) => new ClusterPusher(get(TOKENS.sequencedDelivery), get(TOKENS.hub), get(TOKENS.broker)),
  );
  provide(container, TOKENS.sequencedPusher, (get) => get(TOKENS.clusterPusher));
  provide(container, TOKENS.pusher, (get) => get(TOKENS.clusterPusher));
  provide(container, TOKENS.presencePusher, (get) => get(TOKENS.clusterPusher));
  provide(container, TOKENS.clusterHealth, (get) => [get(TOKENS.broker), get(TOKENS.redisPresence)]);
  provide(container, TOKENS.rateLimitStore, () => ({
    kind: 'redis' as const,
    client: redis.commands,
    prefix: `${prefix}:rate:rest`,
  }));
}
