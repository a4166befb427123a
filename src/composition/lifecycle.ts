import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { Config } from './config.js';
import { TOKENS, resolverFor } from './tokens.js';

/** What the start-up log line says about this node. */
export interface NodeDescription {
  readonly node: string;
  readonly database: 'postgres' | 'embedded';
  readonly broker: 'redis' | 'none';
}

/** Starts the node's background work and listens; resolves to the port. */
export async function startNode(
  container: DependencyContainer,
  config: Config,
  logger: Logger,
  node: NodeDescription,
): Promise<number> {
  const get = resolverFor(container);
  get(TOKENS.presenceFeed).deliverTo(get(TOKENS.presencePusher));
  if (container.isRegistered(TOKENS.clusterPusher)) get(TOKENS.clusterPusher).start();
  if (container.isRegistered(TOKENS.storedEventListener)) await get(TOKENS.storedEventListener).start();
  get(TOKENS.trimHistory).runEvery(config.historyTrimIntervalMs, {
    trimmed: (deleted) => logger.info({ deleted: deleted.events, keysForgotten: deleted.keys }, 'history trimmed'),
    failed: (error) => logger.error({ err: error }, 'history trim failed'),
  });
  const port = await get(TOKENS.webServer).listen();
  logger.info({ port, host: config.host, ...node }, 'roomcast listening');
  return port;
}

/**
 * Stops the node, in order: new work refused and, after the drain, every connection closed
 * (1001); presence withdrawn and its last changes pushed (the other nodes see who left at once); in-flight
 * requests finished; background work stopped; then the database closed, when this node opened it.
 */
export async function stopNode(container: DependencyContainer, logger: Logger, ownsDatabase: boolean): Promise<void> {
  const get = resolverFor(container);
  const webServer = get(TOKENS.webServer);
  await webServer.closeConnections();
  await get(TOKENS.presence).stop();
  await get(TOKENS.presenceFeed).flush();
  await webServer.finishRequests();
  await get(TOKENS.trimHistory).stop();
  if (container.isRegistered(TOKENS.storedEventListener)) await get(TOKENS.storedEventListener).stop();
  if (container.isRegistered(TOKENS.sequencedPusher)) await get(TOKENS.sequencedPusher).stop();
  if (ownsDatabase) await get(TOKENS.database).close();
  logger.info('roomcast stopped');
}
