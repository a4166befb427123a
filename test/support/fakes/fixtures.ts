import type { RoomEvent } from '../../../src/domain/room-event.js';
import type { User } from '../../../src/domain/user.js';
import type { InMemoryUnitOfWork } from './in-memory-unit-of-work.js';
import { RecordingPusher } from './recording-pusher.js';

/** A person holding a user token. */
export function person(id: string, name = id.charAt(0).toUpperCase() + id.slice(1)): User {
  return { id, name, isService: false };
}

/** A backend holding a service token. */
export function service(id = 'backend'): User {
  return { id, name: id, isService: true };
}

/** A recording pusher that also notes every event pushed before the store held it. */
export function pusherCheckingStore(uow: InMemoryUnitOfWork): {
  pusher: RecordingPusher;
  pushedBeforeStored: RoomEvent[];
} {
  const pushedBeforeStored: RoomEvent[] = [];
  const pusher = new RecordingPusher((call) => {
    if (call.kind !== 'push') return;
    const stored = uow.storedEvents(call.event.room).find((event) => event.seq === call.event.seq);
    if (!stored || stored.type !== call.event.type) pushedBeforeStored.push(call.event);
  });
  return { pusher, pushedBeforeStored };
}

/** A stored event of `room` with the given seq, sent by ann; `at` is derived from the seq. */
export function roomEvent(room: string, seq: number, type = 'chat'): RoomEvent {
  return { room, seq, type, data: { seq }, sender: 'ann', at: new Date(Date.UTC(2024, 0, 1) + seq * 1000) };
}
