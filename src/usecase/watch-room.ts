import type { UnitOfWork } from '../domain/ports/repositories.js';
import type { RoomFeed } from '../domain/ports/room-feed.js';
import type { Room } from '../domain/room.js';
import type { User } from '../domain/user.js';
import { requireMemberAccess } from './room-access.js';

/**
 * What a read-only stream must do before receiving a room: people must be members already (a
 * stream never makes one), services only need the room to exist.
 */
export class WatchRoom {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly feed: RoomFeed,
  ) {}

  /**
   * Resolves to the room as read once access is settled: its `lastSeq` is where live delivery may
   * start. The room is followed before that read, so no later event can pass this node by.
   */
  async execute(user: User, roomId: string): Promise<Room> {
    await this.feed.follow(roomId);
    return requireMemberAccess(this.uow.repos, roomId, user);
  }
}
