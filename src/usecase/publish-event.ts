import type { UnitOfWork } from '../domain/ports/repositories.js';
import { type AppendedEvent, assertPublishable } from '../domain/room-event.js';
import { type User, needsMembership } from '../domain/user.js';
import type { OrderedPublisher } from './ordered-publisher.js';
import { requireMemberAccess } from './room-access.js';

/**
 * Stores an event with the room's next seq, then pushes it to the room's subscribers. With an
 * idempotency key the sender used in the room before, the original event is answered (`replayed`)
 * and nothing is stored or pushed.
 */
export class PublishEvent {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly publisher: OrderedPublisher,
  ) {}

  async execute(
    user: User,
    roomId: string,
    type: string,
    data: unknown,
    idempotencyKey?: string,
  ): Promise<AppendedEvent> {
    const dataJson = assertPublishable(type, data);
    // Without a membership to check, the append itself refuses an unknown room: one round trip.
    if (needsMembership(user)) await requireMemberAccess(this.uow.repos, roomId, user);
    const event = { room: roomId, type, data, dataJson, sender: user.id };
    return this.publisher.publish(idempotencyKey === undefined ? event : { ...event, idempotencyKey });
  }
}
