import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { container as rootContainer } from 'tsyringe';
import type { SqlDatabase } from '../database/sql.js';
import type { Hub } from '../web/hub/hub.js';
import { openRedis } from './cluster.js';
import type { Config } from './config.js';
import { developmentMode } from './development-mode.js';
import { startNode, stopNode } from './lifecycle.js';
import { migrateDatabase, openDatabase } from './persistence.js';
import { registerNode } from './register-node.js';
import { TOKENS, resolverFor } from './tokens.js';

/** A running server. */
export interface App {
  readonly server: Server;
  readonly port: number;
  /** The connections this node holds: counts, queued bytes, and a way to close them all (as shutdown does, with any code). */
  readonly connections: Pick<Hub, 'counts' | 'queueDepth' | 'closeAll'>;
  /** Resolves once everything has closed: new work refused, sockets closed (1001), HTTP closed, database closed. */
  shutdown(): Promise<void>;
}

export interface BuildOptions {
  readonly logger: Logger;
  /** A database the caller opened (and will close); by default the config's one is opened and owned. */
  readonly database?: SqlDatabase;
}

/** Builds and starts the server on `config.port` (0: any free port); a start that fails stops what it started. */
export async function buildApp(config: Config, options: BuildOptions): Promise<App> {
  const { logger } = options;
  const devMode = developmentMode(config);
  if (devMode.warning) logger.warn(devMode.warning);
  const database = options.database ?? (await openDatabase(config, logger));
  if (options.database) await migrateDatabase(database, logger);
  const nodeId = randomUUID();
  const redis = config.redisUrl ? await openRedis(config.redisUrl, config, nodeId, logger) : undefined;
  const container = rootContainer.createChildContainer();
  registerNode(container, { config, devMode, logger, database, cluster: redis && { redis, nodeId } });

  let stopped: Promise<void> | undefined;
  const shutdown = () => (stopped ??= stopNode(container, logger, options.database === undefined));
  const node = {
    node: nodeId,
    database: config.databaseUrl ? ('postgres' as const) : ('embedded' as const),
    broker: redis ? ('redis' as const) : ('none' as const),
  };
  const port = await startNode(container, config, logger, node).catch(async (error: unknown) => {
    await shutdown().catch(() => undefined);
    throw error;
  });
  const get = resolverFor(container);
  return { server: get(TOKENS.webServer).server, port, connections: get(TOKENS.hub), shutdown };
}
