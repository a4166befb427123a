import type { AppendedEvent, NewRoomEvent } from '../domain/room-event.js';
import type { BatchedEventAppender } from './batched-event-appender.js';
import { PgEventRepository } from './pg-event-repository.js';
import type { SqlDatabase } from './sql.js';

/**
 * Room events outside a transaction: appends made while a statement is in flight are committed
 * together in the next one (see BatchedEventAppender), in call order per room; reads and trims
 * go straight to the database.
 */
export class GroupCommitEventRepository extends PgEventRepository {
  constructor(
    db: SqlDatabase,
    private readonly appender: BatchedEventAppender,
  ) {
    super(db);
  }

  override append(event: NewRoomEvent): Promise<AppendedEvent> {
    return this.appender.append(event);
  }

  override appendAll(events: readonly NewRoomEvent[]): Promise<AppendedEvent[]> {
    return this.appender.appendAll(events);
  }
}
