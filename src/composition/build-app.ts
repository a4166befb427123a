import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { container as rootContainer } from 'tsyringe';
import type { SqlDatabase } from '../database/sql.js';
import type { WsHub } from '../web/ws/ws-hub.js';
import { openRedis, registerCluster } from './cluster.js';
import type { Config } from './config.js';
import { developmentMode } from './development-mode.js';
import { registerHttp } from './http.js';
import { startNode, stopNode } from './lifecycle.js';
import { migrateDatabase, openDatabase, registerPersistence } from './persistence.js';
import { registerSingleNode } from './single-node.js';
import { TOKENS, resolverFor } from './tokens.js';
import { registerUseCases } from './use-cases.js';
import { registerWebSocket } from './websocket.js';

/** A running server. */
export interface App {
  readonly server: Server;
  readonly port: number;
  /** The connections this node holds: counts, queued bytes, and a way to close them all (as shutdown does, with any code). */
  readonly connections: Pick<WsHub, 'counts' | 'queueDepth' | 'closeAll'>;
  /** Resolves once everything has closed: new work refused, sockets closed (1001), HTTP closed, database closed. */
  shutdown(): Promise<void>;
}

export interface BuildOptions {
  readonly logger: Logger;
  /** A database the caller opened (and will close); by default the config's one is opened and owned. */
  readonly database?: SqlDatabase;
}

/** Builds and starts the server on `config.port` (0: any free port). */
export async function buildApp(config: Config, options: BuildOptions): Promise<App> {
  const { logger } = options;
  const database = options.database ?? (await openDatabase(config, logger));
  if (options.database) await migrateDatabase(database, logger);
  const nodeId = randomUUID();
  const container = rootContainer.createChildContainer();
  registerPersistence(container, database);
  if (config.redisUrl)
    registerCluster(container, config, logger, openRedis(config.redisUrl, config, nodeId, logger), nodeId);
  else registerSingleNode(container);
  registerUseCases(container, config, logger);
  registerHttp(container, config, developmentMode(config), logger);
  registerWebSocket(container, config, logger);

  const port = await startNode(container, config, logger, {
    node: nodeId,
    database: config.databaseUrl ? 'postgres' : 'embedded',
    broker: config.redisUrl ? 'redis' : 'none',
  });
  const get = resolverFor(container);
  let stopped: Promise<void> | undefined;
  return {
    server: get(TOKENS.webServer).server,
    port,
    connections: get(TOKENS.hub),
    shutdown: () => (stopped ??= stopNode(container, logger, options.database === undefined)),
  };
}
