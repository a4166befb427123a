import type { Presence, PresentUser } from '../domain/ports/presence.js';
import type { UnitOfWork } from '../domain/ports/repositories.js';
import type { User } from '../domain/user.js';
import { requireMemberAccess } from './room-access.js';

/** Lists the users connected to a room right now, for a member or a service. */
export class GetPresence {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly presence: Presence,
  ) {}

  async execute(user: User, roomId: string): Promise<PresentUser[]> {
    await requireMemberAccess(this.uow.repos, roomId, user);
    return await this.presence.inRoom(roomId);
  }
}
