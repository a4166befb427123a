import { HistoryTrimmed } from '../../domain/errors.js';
import type { ResumeRequest, ResumeRoom, Resumption } from '../../usecase/resume-room.js';
import type { Hub } from './hub.js';
import type { HubClient } from './hub-client.js';
import { eventMessage } from './outbound-message.js';

/** A client that can be caught up: it says when its queue has drained, and whether it is still open. */
export interface CatchingUpClient extends HubClient {
  readonly isOpen: boolean;
  whenDrained(): Promise<boolean>;
}

/** One subscription to start: the room, where the client stands in it, and what it wants. */
export interface SubscriptionRequest extends ResumeRequest {
  readonly room: string;
  /** Only these event types, replayed and live; null: every type. */
  readonly types: ReadonlySet<string> | null;
  readonly wantsPresence: boolean;
}

/** What starting a subscription needs, shared by every client of one transport. */
export interface SubscriptionStartDeps {
  readonly hub: Hub;
  /** Enters the room and finds what was missed (a WebSocket `join` joins; a stream requires membership). */
  readonly resumeRoom: Pick<ResumeRoom, 'execute'>;
  /** Resolves once the clients counted in presence so far show in it on every node. */
  readonly presenceSynced: () => Promise<void>;
}

/** Where the room stands when a subscription begins, as both transports tell it. */
export interface Announcement {
  readonly room: string;
  readonly epoch: string;
  /** The room's last seq when live delivery began. */
  readonly seq: number;
  readonly recovered: boolean | undefined;
}

/** What the transport does at the two points only it knows how to speak. */
export interface SubscriptionStartHooks {
  /** Tells the peer where the room stands (a join's `ok`, a stream's `ready`), before any event. */
  announce(announcement: Announcement): void;
  /** The replay failed after the announcement, by a fault of the server's: the client must end. */
  failed(error: unknown): void;
}

/** The event types a subscription asks for, as the Hub holds them; null or absent: every type. */
export function typeSet(types: readonly string[] | null | undefined): ReadonlySet<string> | null {
  return types ? new Set(types) : null;
}

/**
 * Starts a client's subscription to a room, the same way for every transport: held in the Hub
 * before the room is read, so that no live event passes it by; counted in presence on every node
 * before it is announced; then the missed events, replayed as the client drains; then live, with
 * no gap and no duplicate. Rejects, with the subscription undone, when the room cannot be entered;
 * after the announcement it never rejects: a replay that cannot finish ends the client instead.
 */
export async function startSubscription(
  deps: SubscriptionStartDeps,
  client: CatchingUpClient,
  request: SubscriptionRequest,
  hooks: SubscriptionStartHooks,
): Promise<void> {
  const { hub } = deps;
  // Held before membership is settled: a leave racing this join either evicts this subscription
  // or commits first and is undone by the join below; never a non-member left subscribed. And
  // every event committed after the room is read below is pushed after this point.
  hub.subscribe(client, request.room, request.types, request.wantsPresence);
  let resumption: Resumption;
  try {
    resumption = await deps.resumeRoom.execute(client.user, request.room, request);
  } catch (error) {
    hub.unsubscribe(client, request.room);
    throw error;
  }
  // Present on every node by the time the announcement says the subscription began.
  hub.countPresent(client, request.room);
  await deps.presenceSynced();
  const { room, recovered } = resumption;
  hooks.announce({ room: room.id, epoch: room.epoch, seq: room.lastSeq, recovered });
  if (!(await replay(client, resumption, request.types, hooks))) return;
  hub.goLive(client, request.room, resumption.room.lastSeq);
}

/** Sends the missed events through the send queue, a batch at a time as the client drains; false if the client ended. */
async function replay(
  client: CatchingUpClient,
  resumption: Resumption,
  types: ReadonlySet<string> | null,
  hooks: SubscriptionStartHooks,
): Promise<boolean> {
  const batchBytes = client.queueLimit / 2;
  try {
    for await (const page of resumption.missed) {
      for (const event of page) {
        if (client.pendingBytes >= batchBytes && !(await client.whenDrained())) return false;
        if (types === null || types.has(event.type)) client.deliver(eventMessage(event));
      }
    }
  } catch (error) {
    // The announcement is out: no second answer. The client ends, and its held subscription with it.
    if (!(error instanceof HistoryTrimmed)) hooks.failed(error);
    // Trimming overtook a reader slower than the room's history window, a slow consumer: end
    // here rather than hand over a stream with a hole. Its next start learns `recovered: false`.
    else client.closeAsSlowConsumer('history trimmed during replay; rejoin with since');
    return false;
  }
  return client.isOpen;
}
