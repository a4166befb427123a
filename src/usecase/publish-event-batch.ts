import { DomainError, Forbidden, InvalidRequest } from '../domain/errors.js';
import { MAX_BATCH_ITEMS, assertPublishable, type RoomEvent } from '../domain/room-event.js';
import { type User, mayPublishBatches } from '../domain/user.js';
import type { OrderedPublisher } from './ordered-publisher.js';

/** One event of a batch: like a single publish, with its room. */
export interface BatchItem {
  readonly room: string;
  readonly type: string;
  readonly data: unknown;
}

/**
 * Stores the events of several rooms at once, all or none, then pushes each to its room's
 * subscribers; a room's events take seqs in the order given. For backends: service tokens only.
 */
export class PublishEventBatch {
  constructor(private readonly publisher: OrderedPublisher) {}

  async execute(user: User, items: readonly BatchItem[]): Promise<RoomEvent[]> {
    if (!mayPublishBatches(user)) throw new Forbidden('publishing a batch needs a service token');
    if (items.length === 0 || items.length > MAX_BATCH_ITEMS) {
      throw new InvalidRequest(`events: a batch holds 1 to ${MAX_BATCH_ITEMS} events`);
    }
    const events = items.map(({ room, type, data }, index) => {
      try {
        return { room, type, data, dataJson: assertPublishable(type, data), sender: user.id };
      } catch (error) {
        // Which event was refused: the same error, its message prefixed with the event's place.
        if (error instanceof DomainError) error.message = `events.${index}: ${error.message}`;
        throw error;
      }
    });
    return this.publisher.publishAll(events);
  }
}
