import type { UnitOfWork } from '../domain/ports/repositories.js';
import type { Room } from '../domain/room.js';
import { requireRoom } from './room-access.js';

/** Reads one room, with its member count and last seq. Any user may. */
export class GetRoom {
  constructor(private readonly uow: UnitOfWork) {}

  execute(roomId: string): Promise<Room> {
    return requireRoom(this.uow.repos, roomId);
  }
}
