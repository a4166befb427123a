import { RoomExists, RoomNotFound } from '../../../src/domain/errors.js';
import type { Member } from '../../../src/domain/member.js';
import type { Page, PageRequest } from '../../../src/domain/page.js';
import type {
  EventRepository,
  EventWindow,
  RetentionPolicy,
  MemberRepository,
  NewRoom,
  Repositories,
  RoomRepository,
  RoomWithMembership,
  UnitOfWork,
} from '../../../src/domain/ports/repositories.js';
import { Room } from '../../../src/domain/room.js';
import type { NewRoomEvent, RoomEvent } from '../../../src/domain/room-event.js';

interface StoredRoom {
  readonly id: string;
  readonly name: string;
  readonly capacity: number;
  readonly lastSeq: number;
  readonly epoch: string;
  readonly createdAt: Date;
}

/** Everything the fake stores; fields are swapped whole on rollback. */
interface Store {
  rooms: Map<string, StoredRoom>;
  members: Map<string, Map<string, Member>>;
  events: Map<string, RoomEvent[]>;
}

/** Settings of the in-memory store. */
export interface InMemoryStoreOptions {
  /** Oldest events beyond this many per room are trimmed, like `HISTORY_MAX_EVENTS`. */
  readonly historyMaxEvents?: number;
  readonly now?: () => Date;
}

/**
 * The domain's `UnitOfWork` held in maps, for use-case tests. `run` calls are serialised (the
 * stand-in for row locks) and roll back by restoring a snapshot when the work throws. Reads and
 * writes outside `run` are not isolated from a running unit of work.
 */
export class InMemoryUnitOfWork implements UnitOfWork {
  readonly repos: Repositories;
  private readonly store: Store = { rooms: new Map(), members: new Map(), events: new Map() };
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: InMemoryStoreOptions = {}) {
    const now = options.now ?? (() => new Date());
    this.repos = {
      rooms: new InMemoryRoomRepository(this.store, now),
      members: new InMemoryMemberRepository(this.store, now),
      events: new InMemoryEventRepository(this.store, now, options.historyMaxEvents ?? Number.POSITIVE_INFINITY),
    };
  }

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.runNow(work));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** The events kept for a room right now, read synchronously (for persist-then-push checks). */
  storedEvents(roomId: string): readonly RoomEvent[] {
    return [...(this.store.events.get(roomId) ?? [])];
  }

  /** The user ids of a room's members, ascending. */
  memberIds(roomId: string): string[] {
    return [...(this.store.members.get(roomId)?.keys() ?? [])].sort();
  }

  private async runNow<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    const snapshot = copyStore(this.store);
    try {
      return await work(this.repos);
    } catch (error) {
      Object.assign(this.store, snapshot);
      throw error;
    }
  }
}

class InMemoryRoomRepository implements RoomRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
  ) {}

  async create(room: NewRoom): Promise<Room> {
    if (this.store.rooms.has(room.id)) throw new RoomExists(room.id);
    this.store.rooms.set(room.id, { ...room, lastSeq: 0, createdAt: this.now() });
    this.store.members.set(room.id, new Map());
    this.store.events.set(room.id, []);
    return toRoom(this.store, room.id)!;
  }

  async find(roomId: string): Promise<Room | null> {
    return toRoom(this.store, roomId);
  }

  async findWithMembership(roomId: string, userId: string): Promise<RoomWithMembership> {
    const room = toRoom(this.store, roomId);
    return room && { room, isMember: this.store.members.get(roomId)?.has(userId) ?? false };
  }

  async findForUpdate(roomId: string): Promise<Room | null> {
    return toRoom(this.store, roomId);
  }

  async list(page: PageRequest): Promise<Page<Room>> {
    const ids = [...this.store.rooms.keys()].sort();
    const rooms = ids.map((id) => toRoom(this.store, id)!);
    return pageOf(rooms, page, (room) => room.id);
  }
}

class InMemoryMemberRepository implements MemberRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
  ) {}

  async find(roomId: string, userId: string): Promise<Member | null> {
    return this.store.members.get(roomId)?.get(userId) ?? null;
  }

  /** Like the SQL upsert: an existing member is returned unchanged and not counted twice. */
  async add(member: Omit<Member, 'joinedAt'>): Promise<Member> {
    const members = this.store.members.get(member.roomId);
    if (!members) throw new RoomNotFound(member.roomId);
    const existing = members.get(member.userId);
    if (existing) return existing;
    const added: Member = { ...member, joinedAt: this.now() };
    members.set(member.userId, added);
    return added;
  }

  async remove(roomId: string, userId: string): Promise<boolean> {
    return this.store.members.get(roomId)?.delete(userId) ?? false;
  }

  async list(roomId: string, page: PageRequest): Promise<Page<Member>> {
    const members = [...(this.store.members.get(roomId)?.values() ?? [])];
    members.sort((a, b) => compare(a.userId, b.userId));
    return pageOf(members, page, (member) => member.userId);
  }
}

class InMemoryEventRepository implements EventRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
    private readonly historyMaxEvents: number,
  ) {}

  async append(event: NewRoomEvent): Promise<RoomEvent> {
    return this.storeOne(event);
  }

  async appendAll(events: readonly NewRoomEvent[]): Promise<RoomEvent[]> {
    const unknown = events.find((event) => !this.store.rooms.has(event.room));
    if (unknown) throw new RoomNotFound(unknown.room);
    return events.map((event) => this.storeOne(event));
  }

  private storeOne(event: NewRoomEvent): RoomEvent {
    if (event.idempotencyKey !== undefined)
      throw new Error('the in-memory store keeps no idempotency keys: test them on a database');
    const room = this.store.rooms.get(event.room);
    const events = this.store.events.get(event.room);
    if (!room || !events) throw new RoomNotFound(event.room);
    const seq = room.lastSeq + 1;
    this.store.rooms.set(room.id, { ...room, lastSeq: seq });
    // Stored as JSON, as the database does: the caller's object is not kept.
    const stored: RoomEvent = { ...event, data: roundTrip(event.data), seq, at: this.now() };
    events.push(stored);
    if (events.length > this.historyMaxEvents) events.splice(0, events.length - this.historyMaxEvents);
    return stored;
  }

  async listAfter(roomId: string, afterSeq: number, limit: number): Promise<EventWindow> {
    const room = this.store.rooms.get(roomId);
    const events = this.store.events.get(roomId);
    if (!room || !events) throw new RoomNotFound(roomId);
    const items = events.filter((event) => event.seq > afterSeq).slice(0, limit);
    return { items, firstSeq: events[0]?.seq ?? room.lastSeq + 1 };
  }

  async trim(policy: RetentionPolicy): Promise<number> {
    let deleted = 0;
    const cutoff = this.now().getTime() - (policy.maxAgeSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    for (const [roomId, events] of this.store.events) {
      const lastSeq = this.store.rooms.get(roomId)?.lastSeq ?? 0;
      const keepAfter = Math.max(
        lastSeq - (policy.maxEventsPerRoom ?? Number.POSITIVE_INFINITY),
        ...events.filter((event) => event.at.getTime() < cutoff).map((event) => event.seq),
      );
      const kept = events.filter((event) => event.seq > keepAfter);
      deleted += events.length - kept.length;
      this.store.events.set(roomId, kept);
    }
    return deleted;
  }

  async forgetKeys(): Promise<number> {
    return 0;
  }
}

function toRoom(store: Store, roomId: string): Room | null {
  const room = store.rooms.get(roomId);
  if (!room) return null;
  const memberCount = store.members.get(roomId)?.size ?? 0;
  return new Room(room.id, room.name, room.capacity, room.lastSeq, room.epoch, room.createdAt, memberCount);
}

/** Items after `afterKey`, at most `limit`; `nextKey` is the last item's key when more exist. */
function pageOf<T>(sorted: T[], page: PageRequest, keyOf: (item: T) => string): Page<T> {
  const { afterKey } = page;
  const rest = afterKey === undefined ? sorted : sorted.filter((item) => keyOf(item) > afterKey);
  const items = rest.slice(0, page.limit);
  const last = items[items.length - 1];
  return { items, nextKey: rest.length > page.limit && last ? keyOf(last) : null };
}

function copyStore(store: Store): Store {
  return {
    rooms: new Map(store.rooms),
    members: new Map([...store.members].map(([roomId, members]) => [roomId, new Map(members)])),
    events: new Map([...store.events].map(([roomId, events]) => [roomId, [...events]])),
  };
}

function roundTrip(data: unknown): unknown {
  const json = JSON.stringify(data);
  return json === undefined ? null : (JSON.parse(json) as unknown);
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
