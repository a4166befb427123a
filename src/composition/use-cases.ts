import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { Presence } from '../domain/ports/presence.js';
import type { Pusher } from '../domain/ports/pusher.js';
import type { UnitOfWork } from '../domain/ports/repositories.js';
import { CreateRoom } from '../usecase/create-room.js';
import { GetPresence } from '../usecase/get-presence.js';
import { GetRoom } from '../usecase/get-room.js';
import { JoinRoom } from '../usecase/join-room.js';
import { LeaveRoom } from '../usecase/leave-room.js';
import { ListEvents } from '../usecase/list-events.js';
import { ListMembers } from '../usecase/list-members.js';
import { ListRooms } from '../usecase/list-rooms.js';
import { OrderedPublisher } from '../usecase/ordered-publisher.js';
import { PresenceFeed } from '../usecase/presence-feed.js';
import { PublishEvent } from '../usecase/publish-event.js';
import { PublishEventBatch } from '../usecase/publish-event-batch.js';
import { ResumeRoom } from '../usecase/resume-room.js';
import { SubscribeToRoom } from '../usecase/subscribe-to-room.js';
import { TrimHistory } from '../usecase/trim-history.js';
import { WatchRoom } from '../usecase/watch-room.js';
import type { RoomUseCases } from '../web/routes/room-use-cases.js';
import type { Config } from './config.js';
import { TOKENS, provide } from './tokens.js';

export function registerUseCases(container: DependencyContainer, config: Config, logger: Logger): void {
  provide(container, TOKENS.publisher, (get) => new OrderedPublisher(get(TOKENS.unitOfWork), get(TOKENS.pusher)));
  provide(container, TOKENS.roomUseCases, (get) =>
    makeRoomUseCases(get(TOKENS.unitOfWork), get(TOKENS.publisher), get(TOKENS.pusher), get(TOKENS.presence)),
  );
  provide(container, TOKENS.resumeRoom, (get) => {
    const { joinRoom, getRoom } = get(TOKENS.roomUseCases);
    return new ResumeRoom(new SubscribeToRoom(joinRoom, getRoom, get(TOKENS.roomFeed)), get(TOKENS.unitOfWork));
  });
  provide(
    container,
    TOKENS.resumeStream,
    (get) => new ResumeRoom(new WatchRoom(get(TOKENS.unitOfWork), get(TOKENS.roomFeed)), get(TOKENS.unitOfWork)),
  );
  provide(
    container,
    TOKENS.presenceFeed,
    (get) =>
      new PresenceFeed(get(TOKENS.presence), {
        diffMs: config.presenceDiffMs,
        maxListed: config.presenceMaxListed,
        reportError: (error) =>
          logger.warn(
            { reason: error instanceof Error ? error.message : String(error) },
            'reading presence failed; retrying',
          ),
      }),
  );
  const retention = {
    maxEventsPerRoom: config.historyMaxEvents,
    maxAgeSeconds: config.historyMaxAgeSeconds,
    idempotencyKeySeconds: config.idempotencyTtlSeconds,
  };
  provide(container, TOKENS.trimHistory, (get) => new TrimHistory(get(TOKENS.unitOfWork), retention));
}

/** The use cases behind the REST routes (the WebSocket ops use some of them too). */
export function makeRoomUseCases(
  uow: UnitOfWork,
  publisher: OrderedPublisher,
  pusher: Pusher,
  presence: Presence,
): RoomUseCases {
  return {
    createRoom: new CreateRoom(uow),
    getRoom: new GetRoom(uow),
    listRooms: new ListRooms(uow),
    joinRoom: new JoinRoom(uow, publisher),
    leaveRoom: new LeaveRoom(publisher, pusher),
    listMembers: new ListMembers(uow),
    publishEvent: new PublishEvent(uow, publisher),
    publishEventBatch: new PublishEventBatch(publisher),
    listEvents: new ListEvents(uow),
    getPresence: new GetPresence(uow, presence),
  };
}
