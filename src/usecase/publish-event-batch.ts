import { DomainError, Forbidden, InvalidRequest } from '../domain/errors.js';
import { type AppendedEvent, MAX_BATCH_ITEMS, type NewRoomEvent, assertPublishable } from '../domain/room-event.js';
import { type User, mayPublishBatches } from '../domain/user.js';
import type { OrderedPublisher } from './ordered-publisher.js';

/** One event of a batch: like a single publish, with its room (and a key of its own, if any). */
export interface BatchItem {
  readonly room: string;
  readonly type: string;
  readonly data: unknown;
  readonly idempotencyKey?: string | undefined;
}

/**
 * Stores the events of several rooms at once, all or none, then pushes each to its room's
 * subscribers; a room's events take seqs in the order given. An item whose idempotency key was
 * used before is answered with its original event. For backends: service tokens only.
 */
export class PublishEventBatch {
  constructor(private readonly publisher: OrderedPublisher) {}

  async execute(user: User, items: readonly BatchItem[]): Promise<AppendedEvent[]> {
    if (!mayPublishBatches(user)) throw new Forbidden('publishing a batch needs a service token');
    if (items.length === 0 || items.length > MAX_BATCH_ITEMS) {
      throw new InvalidRequest(`events: a batch holds 1 to ${MAX_BATCH_ITEMS} events`);
    }
    assertKeysDiffer(items);
    const events = items.map(({ room, type, data, idempotencyKey }, index): NewRoomEvent => {
      try {
        const event = { room, type, data, dataJson: assertPublishable(type, data), sender: user.id };
        return idempotencyKey === undefined ? event : { ...event, idempotencyKey };
      } catch (error) {
        // Which event was refused: the same error, its message prefixed with the event's place.
        if (error instanceof DomainError) error.message = `events.${index}: ${error.message}`;
        throw error;
      }
    });
    return this.publisher.publishAll(events);
  }
}

/** Two items of one room may not share a key: one of them could not be stored. */
function assertKeysDiffer(items: readonly BatchItem[]): void {
  const seen = new Map<string, number>();
  items.forEach(({ room, idempotencyKey }, index) => {
    if (idempotencyKey === undefined) return;
    const scoped = JSON.stringify([room, idempotencyKey]);
    const first = seen.get(scoped);
    if (first !== undefined) {
      throw new InvalidRequest(`events.${index}.idempotencyKey: repeats the key of events.${first} in room '${room}'`);
    }
    seen.set(scoped, index);
  });
}
