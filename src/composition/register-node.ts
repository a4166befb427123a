import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { SqlDatabase } from '../database/sql.js';
import { type RedisConnections, registerCluster } from './cluster.js';
import type { Config } from './config.js';
import type { DevelopmentMode } from './development-mode.js';
import { registerHttp } from './http.js';
import { registerPersistence } from './persistence.js';
import { registerStoredEventListener } from './sequenced-delivery.js';
import { registerSingleNode } from './single-node.js';
import { registerUseCases } from './use-cases.js';
import { registerWebhooks } from './webhooks.js';
import { registerWebSocket } from './websocket.js';

/** What one node is made of. */
export interface NodeParts {
  readonly config: Config;
  readonly devMode: DevelopmentMode;
  readonly logger: Logger;
  readonly database: SqlDatabase;
  /** With REDIS_URL: this node's Redis connections and its id in the cluster. */
  readonly cluster: { readonly redis: RedisConnections; readonly nodeId: string } | undefined;
}

/** Registers everything a node is made of; nothing is built or started until it is resolved. */
export function registerNode(container: DependencyContainer, parts: NodeParts): void {
  const { config, logger, cluster } = parts;
  registerPersistence(container, parts.database);
  if (cluster) registerCluster(container, config, logger, cluster.redis, cluster.nodeId);
  else registerSingleNode(container, logger, config.databaseUrl !== undefined);
  if (config.databaseUrl) registerStoredEventListener(container, config.databaseUrl, logger);
  registerUseCases(container, config, logger);
  registerHttp(container, config, parts.devMode, logger);
  registerWebSocket(container, config, logger);
  registerWebhooks(container, config, logger);
}
