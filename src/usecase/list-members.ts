import type { Member } from '../domain/member.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { UnitOfWork } from '../domain/ports/repositories.js';
import type { User } from '../domain/user.js';
import { requireMemberAccess } from './room-access.js';

/** Lists a room's members by user id, for a member or a service. */
export class ListMembers {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(user: User, roomId: string, page: PageRequest): Promise<Page<Member>> {
    await requireMemberAccess(this.uow.repos, roomId, user);
    return this.uow.repos.members.list(roomId, page);
  }
}
