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
  await startWebhooks(container, config, logger);
  const port = await get(TOKENS.webServer).listen();
  logger.info({ port, host: config.host, ...node }, 'roomcast listening');
  return port;
}

/**
 * Records the webhook types this node was given (for the whole cluster: every node must be given
 * the same), then with WEBHOOK_URL follows presence for room.occupied / room.vacated (settling
 * first the rooms left occupied by a node that stopped or died) and starts delivering.
 */
async function startWebhooks(container: DependencyContainer, config: Config, logger: Logger): Promise<void> {
  const get = resolverFor(container);
  const types = config.webhooks?.types;
  if (await get(TOKENS.webhookOutbox).record(types)) {
    logger.info({ types: types?.toString() ?? '' }, 'webhook types recorded for the cluster changed');
  }
  if (container.isRegistered(TOKENS.roomOccupancy)) {
    get(TOKENS.roomOccupancy)
      .reconcile()
      .catch((error: unknown) => logger.error({ err: error }, 'reading the rooms left occupied failed'));
  }
  if (!config.webhooks) return;
  get(TOKENS.webhookDelivery).start();
  logger.info({ host: new URL(config.webhooks.url).host, types: config.webhooks.types.toString() }, 'webhooks on');
}

/**
 * Stops the node, in order: new work refused and, after the drain, every connection closed
 * (1001); presence withdrawn and its last changes pushed (the other nodes see who left at once),
 * and the rooms it emptied recorded as vacated; in-flight requests finished; background work
 * stopped (webhook attempts under way cut short, their messages due again at once); then the
 * database closed, when this node opened it.
 */
export async function stopNode(container: DependencyContainer, logger: Logger, ownsDatabase: boolean): Promise<void> {
  const get = resolverFor(container);
  const webServer = get(TOKENS.webServer);
  await webServer.closeConnections();
  await get(TOKENS.presence).stop();
  await get(TOKENS.presenceFeed).flush();
  if (container.isRegistered(TOKENS.roomOccupancy)) await get(TOKENS.roomOccupancy).stop();
  await webServer.finishRequests();
  await get(TOKENS.trimHistory).stop();
  if (container.isRegistered(TOKENS.storedEventListener)) await get(TOKENS.storedEventListener).stop();
  if (container.isRegistered(TOKENS.webhookDelivery)) await get(TOKENS.webhookDelivery).stop();
  if (container.isRegistered(TOKENS.sequencedPusher)) await get(TOKENS.sequencedPusher).stop();
  if (ownsDatabase) await get(TOKENS.database).close();
  logger.info('roomcast stopped');
}
