import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type DependencyContainer, container as rootContainer, instanceCachingFactory } from 'tsyringe';
import { ClusterPusher } from './cluster/cluster-pusher.js';
import { RedisPresence } from './cluster/redis-presence.js';
import { RedisBroker } from './cluster/redis-broker.js';
import { connectRedis } from './cluster/redis-connection.js';
import type { Config } from './config.js';
import { DatabaseHealth } from './database/database-health.js';
import { migrate } from './database/migrate.js';
import { PgPoolDatabase } from './database/pg-pool-database.js';
import { PgUnitOfWork } from './database/pg-unit-of-work.js';
import { PgliteDatabase } from './database/pglite-database.js';
import type { SqlDatabase } from './database/sql.js';
import type { Presence, PresenceAnnouncer } from './domain/ports/presence.js';
import type { Pusher } from './domain/ports/pusher.js';
import type { UnitOfWork } from './domain/ports/repositories.js';
import { IN_PROCESS_FEED } from './domain/ports/room-feed.js';
import { AnnouncePresence } from './usecase/announce-presence.js';
import { CreateRoom } from './usecase/create-room.js';
import { GetPresence } from './usecase/get-presence.js';
import { GetRoom } from './usecase/get-room.js';
import { JoinRoom } from './usecase/join-room.js';
import { LeaveRoom } from './usecase/leave-room.js';
import { ListEvents } from './usecase/list-events.js';
import { ListMembers } from './usecase/list-members.js';
import { ListRooms } from './usecase/list-rooms.js';
import { OrderedPublisher } from './usecase/ordered-publisher.js';
import { PublishEvent } from './usecase/publish-event.js';
import { PublishEventBatch } from './usecase/publish-event-batch.js';
import { ResumeRoom } from './usecase/resume-room.js';
import { SequencedDelivery } from './usecase/sequenced-delivery.js';
import { TrimHistory } from './usecase/trim-history.js';
import { PeriodicTask } from './periodic-task.js';
import { SubscribeToRoom } from './usecase/subscribe-to-room.js';
import { TokenService } from './web/auth/token-service.js';
import { createHttpApp } from './web/http-app.js';
import { KeyedRateLimiter, type RateLimitStore } from './web/rate-limiter.js';
import { ServerMetrics } from './web/metrics/server-metrics.js';
import type { RoomUseCases } from './web/routes/room-routes.js';
import { CloseCode } from './web/ws/close-codes.js';
import { LocalPresence } from './web/ws/local-presence.js';
import { WsGateway } from './web/ws/ws-gateway.js';
import { WsHub } from './web/ws/ws-hub.js';

/** Injection tokens: interfaces do not exist at run time, so they are looked up by symbol. */
export const TOKENS = {
  Config: Symbol('Config'),
  Logger: Symbol('Logger'),
  Database: Symbol('Database'),
  UnitOfWork: Symbol('UnitOfWork'),
  Pusher: Symbol('Pusher'),
  Presence: Symbol('Presence'),
  RoomFeed: Symbol('RoomFeed'),
  TokenService: Symbol('TokenService'),
} as const;

/** Where `npm run build` bundles the demo page (demo/build.ts): `dist/demo`, seen from src/ and dist/ alike. */
const DEMO_BUNDLE_DIR = fileURLToPath(new URL('../dist/demo/', import.meta.url));

/** A running server. */
export interface App {
  readonly server: Server;
  readonly port: number;
  readonly hub: WsHub;
  readonly container: DependencyContainer;
  /** Resolves once everything has closed: new work refused, sockets closed (1001), HTTP closed, database closed. */
  shutdown(): Promise<void>;
}

export interface BuildOptions {
  readonly logger: Logger;
  /** A database the caller opened (and will close); by default the config's one is opened and owned. */
  readonly database?: SqlDatabase;
}

/** This node's presence: counted here alone, or shared through Redis. */
type NodePresence = LocalPresence | RedisPresence;

/** The two connections of a node in a cluster: one for commands and publishing, one that listens. */
export interface RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
}

/** Opens the configured database: PostgreSQL with DATABASE_URL, the embedded one under DATA_DIR otherwise. */
export async function openDatabase(config: Config): Promise<SqlDatabase> {
  return config.databaseUrl ? new PgPoolDatabase(config.databaseUrl) : PgliteDatabase.open(config.dataDir);
}

/** Registers every concrete class; the only place (with main.ts) that names them. */
export function registerAll(
  container: DependencyContainer,
  config: Config,
  logger: Logger,
  database: SqlDatabase,
  redis?: RedisConnections & { readonly nodeId: string },
): void {
  const single = <T>(factory: (c: DependencyContainer) => T) => ({ useFactory: instanceCachingFactory<T>(factory) });
  const uow = (c: DependencyContainer) => c.resolve<UnitOfWork>(TOKENS.UnitOfWork);
  const pusher = (c: DependencyContainer) => c.resolve<Pusher>(TOKENS.Pusher);
  const publisher = (c: DependencyContainer) => c.resolve(OrderedPublisher);

  container.register(TOKENS.Config, { useValue: config });
  container.register(TOKENS.Logger, { useValue: logger });
  container.register(TOKENS.Database, { useValue: database });
  container.register(
    TOKENS.UnitOfWork,
    single((c) => new PgUnitOfWork(c.resolve(TOKENS.Database))),
  );
  container.register(
    WsHub,
    single(
      (c) =>
        new WsHub(
          (error) => logger.error({ err: error }, 'hub command failed'),
          config.sendQueueLimitBytes,
          c.resolve<NodePresence>(TOKENS.Presence),
        ),
    ),
  );
  // Resolved when a change happens: announcing publishes through the Pusher, which needs the Hub.
  const announce: PresenceAnnouncer = config.presenceEvents
    ? (roomId, user, change) => container.resolve(AnnouncePresence).execute(roomId, user, change)
    : () => {};
  container.register(
    AnnouncePresence,
    single(
      (c) =>
        new AnnouncePresence(uow(c), publisher(c), (error) => logger.error({ err: error }, 'presence event failed')),
    ),
  );
  if (redis) {
    const reportError = (error: unknown, roomId: string) =>
      logger.warn({ err: error, room: roomId }, 'catching up a room from the database failed; retrying');
    container.register(
      SequencedDelivery,
      single((c) => new SequencedDelivery(uow(c), c.resolve(WsHub), { reportError })),
    );
    container.register(
      RedisBroker,
      single(() => new RedisBroker(redis.commands, redis.subscriber, redis.nodeId, config.redisPrefix, logger)),
    );
    container.register(
      TOKENS.Pusher,
      single((c) => new ClusterPusher(c.resolve(SequencedDelivery), c.resolve(WsHub), c.resolve(RedisBroker))),
    );
    container.register(TOKENS.RoomFeed, { useToken: SequencedDelivery });
    container.register(
      TOKENS.Presence,
      single(
        () =>
          new RedisPresence(
            redis.commands,
            { nodeId: redis.nodeId, prefix: config.redisPrefix, ttlMs: config.presenceTtlMs },
            announce,
            logger,
          ),
      ),
    );
  } else {
    container.register(TOKENS.Pusher, { useToken: WsHub });
    container.register(TOKENS.RoomFeed, { useValue: IN_PROCESS_FEED });
    container.register(
      TOKENS.Presence,
      single(() => new LocalPresence(announce)),
    );
  }
  container.register(
    TOKENS.TokenService,
    single(
      () => new TokenService(config.authSecret ?? randomBytes(32).toString('hex'), config.nodeEnv === 'production'),
    ),
  );
  container.register(
    OrderedPublisher,
    single((c) => new OrderedPublisher(pusher(c))),
  );
  container.register(
    CreateRoom,
    single((c) => new CreateRoom(uow(c))),
  );
  container.register(
    GetRoom,
    single((c) => new GetRoom(uow(c))),
  );
  container.register(
    ListRooms,
    single((c) => new ListRooms(uow(c))),
  );
  container.register(
    JoinRoom,
    single((c) => new JoinRoom(uow(c), publisher(c))),
  );
  container.register(
    LeaveRoom,
    single((c) => new LeaveRoom(uow(c), publisher(c), pusher(c))),
  );
  container.register(
    ListMembers,
    single((c) => new ListMembers(uow(c))),
  );
  container.register(
    PublishEvent,
    single((c) => new PublishEvent(uow(c), publisher(c))),
  );
  container.register(
    PublishEventBatch,
    single((c) => new PublishEventBatch(uow(c), publisher(c))),
  );
  container.register(
    ListEvents,
    single((c) => new ListEvents(uow(c))),
  );
  container.register(
    GetPresence,
    single((c) => new GetPresence(uow(c), c.resolve<Presence>(TOKENS.Presence))),
  );
  container.register(
    SubscribeToRoom,
    single((c) => new SubscribeToRoom(c.resolve(JoinRoom), c.resolve(GetRoom), c.resolve(TOKENS.RoomFeed))),
  );
  container.register(
    ResumeRoom,
    single((c) => new ResumeRoom(c.resolve(SubscribeToRoom), uow(c))),
  );
  const retention = { maxEventsPerRoom: config.historyMaxEvents, maxAgeSeconds: config.historyMaxAgeSeconds };
  container.register(
    TrimHistory,
    single((c) => new TrimHistory(uow(c), retention)),
  );
}

/** Builds and starts the server on `config.port` (0: any free port). */
export async function buildApp(config: Config, options: BuildOptions): Promise<App> {
  const { logger } = options;
  const database = options.database ?? (await openDatabase(config));
  const ownsDatabase = options.database === undefined;
  const applied = await migrate(database);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

  const nodeId = randomUUID();
  const redis = config.redisUrl ? openRedis(config.redisUrl, `${config.redisPrefix}-${nodeId}`, logger) : undefined;
  const container = rootContainer.createChildContainer();
  registerAll(container, config, logger, database, redis && { ...redis, nodeId });
  const hub = container.resolve(WsHub);
  const cluster = redis ? startCluster(container, hub) : undefined;
  const rateStore: RateLimitStore = redis
    ? { kind: 'redis', client: redis.commands, prefix: `${config.redisPrefix}:rate:rest` }
    : { kind: 'memory' };
  const tokens = container.resolve<TokenService>(TOKENS.TokenService);
  let isStopping = false;

  const metrics = new ServerMetrics(hub);
  const useCases: RoomUseCases = {
    createRoom: container.resolve(CreateRoom),
    getRoom: container.resolve(GetRoom),
    listRooms: container.resolve(ListRooms),
    joinRoom: container.resolve(JoinRoom),
    leaveRoom: container.resolve(LeaveRoom),
    listMembers: container.resolve(ListMembers),
    publishEvent: container.resolve(PublishEvent),
    publishEventBatch: container.resolve(PublishEventBatch),
    listEvents: container.resolve(ListEvents),
    getPresence: container.resolve(GetPresence),
  };
  const app = createHttpApp({
    useCases,
    tokens,
    isDevMode: config.authSecret === undefined,
    allowedOrigins: config.allowedOrigins,
    trustProxy: config.trustProxy,
    healthChecks: [new DatabaseHealth(database), ...(cluster ? [cluster.broker] : [])],
    isStopping: () => isStopping,
    metrics,
    metricsToken: config.metricsToken,
    demoDir: config.isDemoServed ? DEMO_BUNDLE_DIR : undefined,
    restLimiter: new KeyedRateLimiter(config.restCallsLimit, rateStore),
    logger,
  });
  if (config.isDemoServed && !existsSync(`${DEMO_BUNDLE_DIR}index.html`)) {
    logger.warn({ dir: DEMO_BUNDLE_DIR }, 'the demo page is not built: run npm run build');
  }
  const gateway = new WsGateway({
    hub,
    tokens,
    session: {
      resumeRoom: container.resolve(ResumeRoom),
      leaveRoom: useCases.leaveRoom,
      publishEvent: useCases.publishEvent,
      maxSubscriptions: config.maxSubscriptionsPerConnection,
      opLimiter: new KeyedRateLimiter(config.wsOpsLimit),
    },
    allowedOrigins: config.allowedOrigins,
    sendQueueLimitBytes: config.sendQueueLimitBytes,
    pingIntervalMs: config.pingIntervalMs,
    maxConnectionsPerUser: config.maxConnectionsPerUser,
    observer: metrics,
    isStopping: () => isStopping,
    logger,
  });

  const trimHistory = container.resolve(TrimHistory);
  const trimmer = new PeriodicTask(config.historyTrimIntervalMs, async () => {
    try {
      const deleted = await trimHistory.execute();
      if (deleted > 0) logger.info({ deleted }, 'history trimmed');
    } catch (error) {
      logger.error({ err: error }, 'history trim failed');
    }
  });

  const server = createServer(app);
  gateway.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(
    {
      port,
      host: config.host,
      node: nodeId,
      database: config.databaseUrl ? 'postgres' : 'embedded',
      broker: redis ? 'redis' : 'none',
    },
    'roomcast listening',
  );

  let stopped: Promise<void> | undefined;
  const shutdown = () => {
    stopped ??= (async () => {
      // From here /readyz is 503 and new requests and upgrades are refused; during the drain a
      // load balancer sees that and stops routing here, while in-flight work goes on.
      isStopping = true;
      if (config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await gateway.close(CloseCode.GoingAway, 'server shutting down', config.shutdownTimeoutMs);
      // The closed connections left their rooms: tell the rooms before the database closes.
      await container.resolve<NodePresence>(TOKENS.Presence).stop();
      await container.resolve(AnnouncePresence).settled();
      // Requests still running at the deadline are cut off.
      const cutOff = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now()));
      await closed;
      clearTimeout(cutOff);
      await trimmer.stop();
      await cluster?.stop();
      if (ownsDatabase) await database.close();
      logger.info('roomcast stopped');
    })();
    return stopped;
  };
  return { server, port, hub, container, shutdown };
}

/** `name` tells this node's connections apart in Redis' CLIENT LIST. */
function openRedis(url: string, name: string, logger: Logger): RedisConnections {
  return {
    commands: connectRedis(url, { name: `${name}-commands`, queueWhileDisconnected: false }, logger),
    subscriber: connectRedis(url, { name: `${name}-subscriber`, queueWhileDisconnected: true }, logger),
  };
}

// Rooms nobody on this node receives any more are forgotten this often.
const FORGET_ROOMS_INTERVAL_MS = 30_000;

/** Listens to the other nodes: their events go through this node's seq-ordered delivery. */
function startCluster(container: DependencyContainer, hub: WsHub) {
  const broker = container.resolve(RedisBroker);
  const delivery = container.resolve(SequencedDelivery);
  broker.listen({
    onEvent: (event) => delivery.accept(event),
    onEviction: (roomId, userId) => hub.evict(roomId, userId),
    onSubscribed: () => void delivery.catchUpAll(),
  });
  const forgetter = new PeriodicTask(FORGET_ROOMS_INTERVAL_MS, async () =>
    delivery.forget((roomId) => hub.hasSubscribers(roomId)),
  );
  return {
    broker,
    async stop() {
      await forgetter.stop();
      delivery.stop();
      broker.close();
    },
  };
}
