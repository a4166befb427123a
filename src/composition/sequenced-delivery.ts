import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { StoredEventListener } from '../database/stored-event-listener.js';
import { SequencedDelivery } from '../usecase/sequenced-delivery.js';
import { TOKENS, provide } from './tokens.js';

/** Rooms nobody on this node receives any more are forgotten this often. */
const FORGET_ROOMS_INTERVAL_MS = 30_000;

/**
 * Seq-ordered delivery, for a node whose rooms take events it did not publish itself (other
 * nodes', or the application's from SQL): the room feed, in front of the Hub.
 */
export function registerSequencedDelivery(container: DependencyContainer, logger: Logger): void {
  provide(container, TOKENS.sequencedDelivery, (get) => {
    const hub = get(TOKENS.hub);
    return new SequencedDelivery(get(TOKENS.unitOfWork), hub, {
      reportError: (error, roomId) =>
        logger.warn({ err: error, room: roomId }, 'catching up a room from the database failed; retrying'),
      forgetIdleRooms: { intervalMs: FORGET_ROOMS_INTERVAL_MS, isWanted: (roomId) => hub.hasSubscribers(roomId) },
    });
  });
  provide(container, TOKENS.roomFeed, (get) => get(TOKENS.sequencedDelivery));
}

/** On PostgreSQL: the events the application publishes from SQL reach this node's delivery after their commit. */
export function registerStoredEventListener(container: DependencyContainer, databaseUrl: string, logger: Logger): void {
  provide(container, TOKENS.storedEventListener, (get) => {
    const delivery = get(TOKENS.sequencedDelivery);
    const signals = {
      stored: (roomId: string, seq: number) => delivery.storedUpTo(roomId, seq),
      resumed: () => void delivery.catchUpAll(),
    };
    return new StoredEventListener(databaseUrl, signals, logger);
  });
}
