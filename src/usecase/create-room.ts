import { randomBytes, randomUUID } from 'node:crypto';
import type { UnitOfWork } from '../domain/ports/repositories.js';
import { DEFAULT_ROOM_CAPACITY, type Room } from '../domain/room.js';
import type { User } from '../domain/user.js';

export interface CreateRoomInput {
  readonly id?: string | undefined;
  readonly name: string;
  readonly capacity?: number | undefined;
}

/** Creates a room; its creator becomes its first member, without an event. */
export class CreateRoom {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(user: User, input: CreateRoomInput): Promise<Room> {
    const id = input.id ?? generateRoomId();
    return this.uow.run(async (repos) => {
      await repos.rooms.create({
        id,
        name: input.name,
        capacity: input.capacity ?? DEFAULT_ROOM_CAPACITY,
        epoch: randomUUID(),
      });
      await repos.members.add({ roomId: id, userId: user.id, name: user.name });
      const room = await repos.rooms.find(id);
      if (!room) throw new Error(`room '${id}' vanished inside its own transaction`);
      return room;
    });
  }
}

function generateRoomId(): string {
  return `r-${randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')}`;
}
