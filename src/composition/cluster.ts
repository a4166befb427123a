import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { RedisBroker } from '../cluster/redis-broker.js';
import { connectRedis } from '../cluster/redis-connection.js';
import { RedisPresence } from '../cluster/redis-presence.js';
import { ClusterPusher } from '../usecase/cluster-pusher.js';
import { SequencedDelivery } from '../usecase/sequenced-delivery.js';
import type { Config } from './config.js';
import { TOKENS, provide } from './tokens.js';

/** Rooms nobody on this node receives any more are forgotten this often. */
const FORGET_ROOMS_INTERVAL_MS = 30_000;

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
  provide(container, TOKENS.sequencedDelivery, (get) => {
    const hub = get(TOKENS.hub);
    return new SequencedDelivery(get(TOKENS.unitOfWork), hub, {
      reportError: (error, roomId) =>
        logger.warn({ err: error, room: roomId }, 'catching up a room from the database failed; retrying'),
      forgetIdleRooms: { intervalMs: FORGET_ROOMS_INTERVAL_MS, isWanted: (roomId) => hub.hasSubscribers(roomId) },
    });
  });
  provide(
    container,
    TOKENS.clusterPusher,
    (get) => new ClusterPusher(get(TOKENS.sequencedDelivery), get(TOKENS.hub), get(TOKENS.broker)),
  );
  provide(container, TOKENS.pusher, (get) => get(TOKENS.clusterPusher));
  provide(container, TOKENS.presencePusher, (get) => get(TOKENS.clusterPusher));
  provide(container, TOKENS.roomFeed, (get) => get(TOKENS.sequencedDelivery));
  provide(container, TOKENS.clusterHealth, (get) => [get(TOKENS.broker), get(TOKENS.redisPresence)]);
  provide(container, TOKENS.rateLimitStore, () => ({
    kind: 'redis' as const,
    client: redis.commands,
    prefix: `${prefix}:rate:rest`,
  }));
}
