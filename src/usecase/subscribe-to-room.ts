import type { RoomFeed } from '../domain/ports/room-feed.js';
import type { Room } from '../domain/room.js';
import { type User, needsMembership } from '../domain/user.js';
import type { GetRoom } from './get-room.js';
import type { JoinRoom } from './join-room.js';

/** What a connection must do before receiving a room: people join it, services only need it to exist. */
export class SubscribeToRoom {
  constructor(
    private readonly joinRoom: JoinRoom,
    private readonly getRoom: GetRoom,
    private readonly feed: RoomFeed,
  ) {}

  /**
   * Resolves to the room as read after membership is settled: its `lastSeq` is where live delivery
   * may start. The room is followed before that read, so no later event can pass this node by.
   */
  async execute(user: User, roomId: string): Promise<Room> {
    await this.feed.follow(roomId);
    if (needsMembership(user)) return (await this.joinRoom.execute(user, roomId)).room;
    return this.getRoom.execute(roomId);
  }
}
