import { Forbidden, RoomNotFound } from '../domain/errors.js';
import type { Repositories } from '../domain/ports/repositories.js';
import type { Room } from '../domain/room.js';
import { type User, needsMembership } from '../domain/user.js';

/** Loads a room or throws `RoomNotFound`. */
export async function requireRoom(repos: Repositories, roomId: string): Promise<Room> {
  const room = await repos.rooms.find(roomId);
  if (!room) throw new RoomNotFound(roomId);
  return room;
}

/** Loads a room the user may read and publish to: a member, or a service. */
export async function requireMemberAccess(repos: Repositories, roomId: string, user: User): Promise<Room> {
  if (!needsMembership(user)) return requireRoom(repos, roomId);
  const found = await repos.rooms.findWithMembership(roomId, user.id);
  if (!found) throw new RoomNotFound(roomId);
  if (!found.isMember) throw new Forbidden(`you are not a member of room '${roomId}'`);
  return found.room;
}
