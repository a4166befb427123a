import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { IN_PROCESS_FEED } from '../local/in-process-feed.js';
import { LocalPresence } from '../local/local-presence.js';
import { SequencedPusher } from '../usecase/sequenced-pusher.js';
import { registerSequencedDelivery } from './sequenced-delivery.js';
import { TOKENS, provide } from './tokens.js';

/**
 * A node on its own (no REDIS_URL): the Hub is the whole broker, presence and rate limits are
 * counted here. On PostgreSQL, the application may store events from SQL too: they and this
 * node's own go to the Hub through seq-ordered delivery. On the embedded database every event is
 * published here, so they go to the Hub at once.
 */
export function registerSingleNode(container: DependencyContainer, logger: Logger, onPostgres: boolean): void {
  provide(
    container,
    TOKENS.presence,
    () => new LocalPresence((error) => logger.error({ err: error }, 'a presence listener failed')),
  );
  if (onPostgres) {
    registerSequencedDelivery(container, logger);
    provide(
      container,
      TOKENS.sequencedPusher,
      (get) => new SequencedPusher(get(TOKENS.sequencedDelivery), get(TOKENS.hub)),
    );
    provide(container, TOKENS.pusher, (get) => get(TOKENS.sequencedPusher));
  } else {
    provide(container, TOKENS.pusher, (get) => get(TOKENS.hub));
    provide(container, TOKENS.roomFeed, () => IN_PROCESS_FEED);
  }
  provide(container, TOKENS.presencePusher, (get) => get(TOKENS.hub));
  provide(container, TOKENS.clusterHealth, () => []);
  provide(container, TOKENS.rateLimitStore, () => ({ kind: 'memory' }));
}
