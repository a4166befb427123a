import { RoomNotFound } from '../domain/errors.js';
import type { Pusher } from '../domain/ports/pusher.js';
import { MEMBER_LEFT, userEvent } from '../domain/room-event.js';
import type { User } from '../domain/user.js';
import type { OrderedPublisher } from './ordered-publisher.js';

/** Gives up membership: stores and pushes `member.left`, then ends the user's subscriptions to the room. */
export class LeaveRoom {
  constructor(
    private readonly publisher: OrderedPublisher,
    private readonly pusher: Pusher,
  ) {}

  /** Resolves to false when the user was not a member (nothing stored or pushed). */
  async execute(user: User, roomId: string): Promise<boolean> {
    const event = await this.publisher.publishInTransaction(roomId, async (repos) => {
      const room = await repos.rooms.findForUpdate(roomId);
      if (!room) throw new RoomNotFound(roomId);
      if (!(await repos.members.remove(roomId, user.id))) return null;
      return repos.events.append(userEvent(roomId, MEMBER_LEFT, user));
    });
    // Subscriptions end even for a non-member, so that a service or stale connection stops too.
    this.pusher.evict(roomId, user.id);
    return event !== null;
  }
}
