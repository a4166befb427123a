import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { IN_PROCESS_FEED } from '../local/in-process-feed.js';
import { LocalPresence } from '../local/local-presence.js';
import { TOKENS, provide } from './tokens.js';

/** A node on its own (no REDIS_URL): the Hub is the whole broker, presence and rate limits are counted here. */
export function registerSingleNode(container: DependencyContainer, logger: Logger): void {
  provide(
    container,
    TOKENS.presence,
    () => new LocalPresence((error) => logger.error({ err: error }, 'a presence listener failed')),
  );
  provide(container, TOKENS.pusher, (get) => get(TOKENS.hub));
  provide(container, TOKENS.presencePusher, (get) => get(TOKENS.hub));
  provide(container, TOKENS.roomFeed, () => IN_PROCESS_FEED);
  provide(container, TOKENS.clusterHealth, () => []);
  provide(container, TOKENS.rateLimitStore, () => ({ kind: 'memory' }));
}
