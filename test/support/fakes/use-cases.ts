import type { Presence } from '../../../src/domain/ports/presence.js';
import { CreateRoom } from '../../../src/usecase/create-room.js';
import { GetPresence } from '../../../src/usecase/get-presence.js';
import { GetRoom } from '../../../src/usecase/get-room.js';
import { JoinRoom } from '../../../src/usecase/join-room.js';
import { LeaveRoom } from '../../../src/usecase/leave-room.js';
import { ListEvents } from '../../../src/usecase/list-events.js';
import { ListMembers } from '../../../src/usecase/list-members.js';
import { ListRooms } from '../../../src/usecase/list-rooms.js';
import { OrderedPublisher } from '../../../src/usecase/ordered-publisher.js';
import { PublishEvent } from '../../../src/usecase/publish-event.js';
import { PublishEventBatch } from '../../../src/usecase/publish-event-batch.js';
import { SubscribeToRoom } from '../../../src/usecase/subscribe-to-room.js';
import { IN_PROCESS_FEED } from '../../../src/local/in-process-feed.js';
import type { InMemoryUnitOfWork } from './in-memory-unit-of-work.js';
import type { RecordingPusher } from './recording-pusher.js';

const NOBODY_PRESENT: Presence = { inRoom: async () => [] };

/** Every use case wired to the in-memory store and a recording pusher, as the composition root wires them. */
export function useCases(uow: InMemoryUnitOfWork, pusher: RecordingPusher, presence: Presence = NOBODY_PRESENT) {
  const publisher = new OrderedPublisher(uow, pusher);
  const getRoom = new GetRoom(uow);
  const joinRoom = new JoinRoom(uow, publisher);
  return {
    publisher,
    createRoom: new CreateRoom(uow),
    getRoom,
    listRooms: new ListRooms(uow),
    joinRoom,
    leaveRoom: new LeaveRoom(publisher, pusher),
    listMembers: new ListMembers(uow),
    publishEvent: new PublishEvent(uow, publisher),
    publishEventBatch: new PublishEventBatch(publisher),
    listEvents: new ListEvents(uow),
    getPresence: new GetPresence(uow, presence),
    subscribeToRoom: new SubscribeToRoom(joinRoom, getRoom, IN_PROCESS_FEED),
  };
}
