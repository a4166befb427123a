import { InvalidRequest } from '../domain/errors.js';
import type { EventWindow, UnitOfWork } from '../domain/ports/repositories.js';
import type { User } from '../domain/user.js';
import { requireMemberAccess } from './room-access.js';

/** Pages through a room's kept history, for a member or a service. */
export class ListEvents {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(user: User, roomId: string, afterSeq: number, limit: number): Promise<EventWindow> {
    const room = await requireMemberAccess(this.uow.repos, roomId, user);
    if (afterSeq > room.lastSeq) {
      throw new InvalidRequest(`after: ${afterSeq} is beyond the room's last seq ${room.lastSeq}`);
    }
    return this.uow.repos.events.listAfter(roomId, afterSeq, limit);
  }
}
