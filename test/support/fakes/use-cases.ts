import { makeRoomUseCases } from '../../../src/composition/use-cases.js';
import type { Presence } from '../../../src/domain/ports/presence.js';
import { IN_PROCESS_FEED } from '../../../src/local/in-process-feed.js';
import { OrderedPublisher } from '../../../src/usecase/ordered-publisher.js';
import { SubscribeToRoom } from '../../../src/usecase/subscribe-to-room.js';
import type { InMemoryUnitOfWork } from './in-memory-unit-of-work.js';
import type { RecordingPusher } from './recording-pusher.js';

const NOBODY_PRESENT: Presence = { inRoom: async () => [] };

/** Every use case wired to the in-memory store and a recording pusher, by the composition's own factory. */
export function useCases(uow: InMemoryUnitOfWork, pusher: RecordingPusher, presence: Presence = NOBODY_PRESENT) {
  const publisher = new OrderedPublisher(uow, pusher);
  const useCases = makeRoomUseCases(uow, publisher, pusher, presence);
  return {
    publisher,
    ...useCases,
    subscribeToRoom: new SubscribeToRoom(useCases.joinRoom, useCases.getRoom, IN_PROCESS_FEED),
  };
}
