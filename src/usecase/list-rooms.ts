import type { Page, PageRequest } from '../domain/page.js';
import type { UnitOfWork } from '../domain/ports/repositories.js';
import type { Room } from '../domain/room.js';

/** Lists every room by id ascending, one page at a time. Any user may. */
export class ListRooms {
  constructor(private readonly uow: UnitOfWork) {}

  execute(page: PageRequest): Promise<Page<Room>> {
    return this.uow.repos.rooms.list(page);
  }
}
