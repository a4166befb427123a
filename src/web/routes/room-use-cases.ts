import type { CreateRoom } from '../../usecase/create-room.js';
import type { GetPresence } from '../../usecase/get-presence.js';
import type { GetRoom } from '../../usecase/get-room.js';
import type { JoinRoom } from '../../usecase/join-room.js';
import type { LeaveRoom } from '../../usecase/leave-room.js';
import type { ListEvents } from '../../usecase/list-events.js';
import type { ListMembers } from '../../usecase/list-members.js';
import type { ListRooms } from '../../usecase/list-rooms.js';
import type { PublishEvent } from '../../usecase/publish-event.js';
import type { PublishEventBatch } from '../../usecase/publish-event-batch.js';

/** The use cases behind the REST routes. */
export interface RoomUseCases {
  readonly createRoom: CreateRoom;
  readonly getRoom: GetRoom;
  readonly listRooms: ListRooms;
  readonly joinRoom: JoinRoom;
  readonly leaveRoom: LeaveRoom;
  readonly listMembers: ListMembers;
  readonly publishEvent: PublishEvent;
  readonly publishEventBatch: PublishEventBatch;
  readonly listEvents: ListEvents;
  readonly getPresence: GetPresence;
}
