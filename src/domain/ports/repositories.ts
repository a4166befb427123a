import type { Member } from '../member.js';
import type { Page, PageRequest } from '../page.js';
import type { Room } from '../room.js';
import type { AppendedEvent, NewRoomEvent, RoomEvent } from '../room-event.js';

/** Data needed to create a room; the store sets seq 0, the time and the member count. */
export interface NewRoom {
  readonly id: string;
  readonly name: string;
  readonly capacity: number;
  readonly epoch: string;
}

/** A room and whether a user is its member, or null when there is no such room. */
export type RoomWithMembership = { room: Room; isMember: boolean } | null;

/** Rooms, as stored. */
export interface RoomRepository {
  /** Throws `RoomExists` when the id is taken. */
  create(room: NewRoom): Promise<Room>;
  find(roomId: string): Promise<Room | null>;
  /** The room and whether the user is a member of it, in one read; null when there is no such room. */
  findWithMembership(roomId: string, userId: string): Promise<RoomWithMembership>;
  /** Like `find`, and holds the room against concurrent changes until the unit of work ends. */
  findForUpdate(roomId: string): Promise<Room | null>;
  list(page: PageRequest): Promise<Page<Room>>;
}

/** Memberships, as stored. */
export interface MemberRepository {
  find(roomId: string, userId: string): Promise<Member | null>;
  /** Adds the member and counts it in the room's `memberCount`. */
  add(member: Omit<Member, 'joinedAt'>): Promise<Member>;
  /** Removes the member; false when it was not one. */
  remove(roomId: string, userId: string): Promise<boolean>;
  list(roomId: string, page: PageRequest): Promise<Page<Member>>;
}

/** Events of a room, and the window of them still kept. */
export interface EventWindow {
  readonly items: RoomEvent[];
  /** Oldest seq still kept (lastSeq + 1 when none is). */
  readonly firstSeq: number;
}

/** How much of each room's history is kept; undefined means no limit of that kind. */
export interface RetentionPolicy {
  readonly maxEventsPerRoom: number | undefined;
  readonly maxAgeSeconds: number | undefined;
  /** How long an idempotency key is kept, whatever happens to its event; undefined: forever. */
  readonly idempotencyKeySeconds?: number | undefined;
}

/** A room's event stream, as stored. */
export interface EventRepository {
  /**
   * Stores the event with the room's next seq, atomically; throws `RoomNotFound` for an unknown
   * room. Outside a unit of work, a room's appends take their seqs in the order they were called.
   * An event with an idempotency key that its room and sender used before is not stored again:
   * the original is returned (`replayed`), or `IdempotencyConflict` thrown when the type or data
   * differ. Concurrent appends with one key, on any node, store one event.
   */
  append(event: NewRoomEvent): Promise<AppendedEvent>;
  /**
   * Stores all the events atomically, or none: each with its room's next seq, a room's events in
   * the order given, keys as in `append` (a repeated one answered with its original). Throws
   * `RoomNotFound` or `IdempotencyConflict` (storing nothing). The events' keys must differ.
   * Outside a unit of work, it takes its place in the call order of `append` for each of its rooms.
   */
  appendAll(events: readonly NewRoomEvent[]): Promise<AppendedEvent[]>;
  /** Events with seq > afterSeq, ascending, at most `limit`. */
  listAfter(roomId: string, afterSeq: number, limit: number): Promise<EventWindow>;
  /** Deletes the oldest events that the policy no longer keeps, in every room; returns how many. */
  trim(policy: RetentionPolicy): Promise<number>;
  /** Forgets the idempotency keys used more than `ttlSeconds` ago; returns how many. */
  forgetKeys(ttlSeconds: number): Promise<number>;
}

/** The repositories bound to one transaction. */
export interface Repositories {
  readonly rooms: RoomRepository;
  readonly members: MemberRepository;
  readonly events: EventRepository;
}

/** Runs work atomically: all of it is stored, or none. */
export interface UnitOfWork {
  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /** The same repositories outside a transaction, for reads. */
  readonly repos: Repositories;
}
