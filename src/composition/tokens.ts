import type { RequestListener } from 'node:http';
import { type DependencyContainer, instanceCachingFactory } from 'tsyringe';
import type { RedisBroker } from '../cluster/redis-broker.js';
import type { RedisPresence } from '../cluster/redis-presence.js';
import type { SqlDatabase } from '../database/sql.js';
import type { StoredEventListener } from '../database/stored-event-listener.js';
import type { HealthCheck } from '../domain/ports/health.js';
import type { PresenceTracker } from '../domain/ports/presence.js';
import type { PresencePusher, Pusher } from '../domain/ports/pusher.js';
import type { UnitOfWork } from '../domain/ports/repositories.js';
import type { RoomFeed } from '../domain/ports/room-feed.js';
import type { ClusterPusher } from '../usecase/cluster-pusher.js';
import type { OrderedPublisher } from '../usecase/ordered-publisher.js';
import type { PresenceFeed } from '../usecase/presence-feed.js';
import type { ResumeRoom } from '../usecase/resume-room.js';
import type { SequencedDelivery } from '../usecase/sequenced-delivery.js';
import type { SequencedPusher } from '../usecase/sequenced-pusher.js';
import type { TrimHistory } from '../usecase/trim-history.js';
import type { DeliverWebhooks } from '../usecase/deliver-webhooks.js';
import type { RoomOccupancy } from '../usecase/room-occupancy.js';
import type { WebhookOutbox } from '../domain/ports/webhooks.js';
import type { Admission } from '../web/admission.js';
import type { Hub } from '../web/hub/hub.js';
import type { TokenService } from '../web/auth/token-service.js';
import type { RateLimitStore } from '../web/rate-limiter.js';
import type { ServerMetrics } from '../web/metrics/server-metrics.js';
import type { RoomUseCases } from '../web/routes/room-use-cases.js';
import type { WebServer } from '../web/web-server.js';
import type { UserConnections } from '../web/user-connections.js';
import type { WsGateway } from '../web/ws/ws-gateway.js';

/** A symbol naming one registration, typed with what it resolves to. */
export type Token<T> = symbol & { readonly resolvesTo?: T };

const token = <T>(name: string) => Symbol(name) as Token<T>;

/** Every registration. Each is one instance per container, built on first use. */
export const TOKENS = {
  database: token<SqlDatabase>('database'),
  unitOfWork: token<UnitOfWork>('unitOfWork'),
  hub: token<Hub>('hub'),
  presence: token<PresenceTracker>('presence'),
  presenceFeed: token<PresenceFeed>('presenceFeed'),
  /** Where presence updates go: the Hub, or in a cluster the Hub and the other nodes. */
  presencePusher: token<PresencePusher>('presencePusher'),
  pusher: token<Pusher>('pusher'),
  roomFeed: token<RoomFeed>('roomFeed'),
  /** What `/readyz` checks besides the database: the broker and presence in a cluster. */
  clusterHealth: token<readonly HealthCheck[]>('clusterHealth'),
  /** Where REST rate limits are counted: in memory, or in Redis shared by the cluster. */
  rateLimitStore: token<RateLimitStore>('rateLimitStore'),
  redisPresence: token<RedisPresence>('redisPresence'), // in a cluster only
  broker: token<RedisBroker>('broker'), // in a cluster only
  sequencedDelivery: token<SequencedDelivery>('sequencedDelivery'), // on PostgreSQL or in a cluster
  /** The pusher in front of seq-ordered delivery (in a cluster, the cluster's). */
  sequencedPusher: token<SequencedPusher>('sequencedPusher'), // on PostgreSQL or in a cluster
  clusterPusher: token<ClusterPusher>('clusterPusher'), // in a cluster only
  storedEventListener: token<StoredEventListener>('storedEventListener'), // on PostgreSQL only
  publisher: token<OrderedPublisher>('publisher'),
  roomUseCases: token<RoomUseCases>('roomUseCases'),
  resumeRoom: token<ResumeRoom>('resumeRoom'),
  /** ResumeRoom for event streams: the reader must be a member already. */
  resumeStream: token<ResumeRoom>('resumeStream'),
  trimHistory: token<TrimHistory>('trimHistory'),
  webhookOutbox: token<WebhookOutbox>('webhookOutbox'),
  webhookDelivery: token<DeliverWebhooks>('webhookDelivery'), // with WEBHOOK_URL only
  roomOccupancy: token<RoomOccupancy>('roomOccupancy'), // with WEBHOOK_URL, when room.occupied or room.vacated is sent
  tokenService: token<TokenService>('tokenService'),
  admission: token<Admission>('admission'),
  /** Connections per user, WebSocket and event streams counted together. */
  userConnections: token<UserConnections>('userConnections'),
  metrics: token<ServerMetrics>('metrics'),
  httpHandler: token<RequestListener>('httpHandler'),
  gateway: token<WsGateway>('gateway'),
  webServer: token<WebServer>('webServer'),
} as const;

/** Resolves a registration, typed by its token. */
export type Resolve = <T>(key: Token<T>) => T;

/** Registers `make` as the one instance behind `key`; it is built on first use, from the others through `get`. */
export function provide<T>(container: DependencyContainer, key: Token<T>, make: (get: Resolve) => T): void {
  container.register(key, { useFactory: instanceCachingFactory((c) => make((other) => c.resolve(other))) });
}

/** Resolves registrations of `container`, typed by their tokens. */
export function resolverFor(container: DependencyContainer): Resolve {
  return (key) => container.resolve(key);
}
