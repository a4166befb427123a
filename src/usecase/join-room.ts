import { RoomNotFound } from '../domain/errors.js';
import type { UnitOfWork } from '../domain/ports/repositories.js';
import type { Room } from '../domain/room.js';
import { MEMBER_JOINED, userEvent } from '../domain/room-event.js';
import type { User } from '../domain/user.js';
import type { OrderedPublisher } from './ordered-publisher.js';
import { requireRoom } from './room-access.js';

export interface JoinResult {
  readonly room: Room;
  /** True on the first join, when `member.joined` was stored and pushed. */
  readonly joined: boolean;
}

/** Makes the user a member (idempotent); the first join stores and pushes `member.joined`. */
export class JoinRoom {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly publisher: OrderedPublisher,
  ) {}

  async execute(user: User, roomId: string): Promise<JoinResult> {
    // A member's rejoin (the common case, and every reconnect) is this one read.
    const found = await this.uow.repos.rooms.findWithMembership(roomId, user.id);
    if (!found) throw new RoomNotFound(roomId);
    if (found.isMember) return { room: found.room, joined: false };
    // Locking the room row serialises joins, so capacity holds under concurrent joiners.
    const event = await this.publisher.publishInTransaction(roomId, async (repos) => {
      const room = await repos.rooms.findForUpdate(roomId);
      if (!room) throw new RoomNotFound(roomId);
      if (await repos.members.find(roomId, user.id)) return null;
      room.assertCanJoin();
      await repos.members.add({ roomId, userId: user.id, name: user.name });
      return repos.events.append(userEvent(roomId, MEMBER_JOINED, user));
    });
    return { room: await requireRoom(this.uow.repos, roomId), joined: event !== null };
  }
}
