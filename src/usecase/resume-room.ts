import { HistoryTrimmed, InvalidRequest } from '../domain/errors.js';
import type { EventWindow, UnitOfWork } from '../domain/ports/repositories.js';
import type { Room } from '../domain/room.js';
import type { RoomEvent } from '../domain/room-event.js';
import type { User } from '../domain/user.js';

/** Where a joining connection stands: the room, whether it can catch up, and what it missed. */
export interface Resumption {
  /** Read after membership was settled: live delivery starts after `room.lastSeq`. */
  readonly room: Room;
  /** Undefined without `since`; false when the missed events are no longer all kept or the epoch changed. */
  readonly recovered: boolean | undefined;
  /** The missed events (seq `since + 1` to `room.lastSeq`), page by page; nothing unless recovered. */
  readonly missed: AsyncIterable<RoomEvent[]>;
}

export interface ResumeRequest {
  readonly since?: number | undefined;
  /** The epoch the client's `since` belongs to; a different one means a different stream. */
  readonly epoch?: string | undefined;
}

/**
 * How a connection enters a room before receiving it (a WebSocket join joins it: SubscribeToRoom;
 * a read-only stream requires membership: WatchRoom). Resolves to the room as read once the room
 * is followed and access settled.
 */
export interface RoomEntrance {
  execute(user: User, roomId: string): Promise<Room>;
}

const NOTHING: AsyncIterable<RoomEvent[]> = { async *[Symbol.asyncIterator]() {} };

/**
 * Enters a room for a connection and, given the last seq the client saw, works out what it missed.
 * Either every missed event is handed over, in order, or `recovered` is false and none is:
 * never a partial replay.
 */
export class ResumeRoom {
  constructor(
    private readonly entrance: RoomEntrance,
    private readonly uow: UnitOfWork,
    private readonly pageSize = 500,
  ) {}

  async execute(user: User, roomId: string, request: ResumeRequest): Promise<Resumption> {
    const room = await this.entrance.execute(user, roomId);
    const { since, epoch } = request;
    if (since === undefined) return { room, recovered: undefined, missed: NOTHING };
    // Another epoch is another stream: its seqs say nothing about this one, so check it first.
    if (epoch !== undefined && epoch !== room.epoch) return { room, recovered: false, missed: NOTHING };
    if (since > room.lastSeq) {
      throw new InvalidRequest(`since: ${since} is beyond the room's last seq ${room.lastSeq}`);
    }
    // Nothing missed: nothing to read (a reconnect after a blip, most often).
    if (since === room.lastSeq) return { room, recovered: true, missed: NOTHING };
    const first = await this.uow.repos.events.listAfter(roomId, since, this.pageSize);
    if (since < first.firstSeq - 1) return { room, recovered: false, missed: NOTHING };
    return { room, recovered: true, missed: this.pages(room, since, first) };
  }

  private async *pages(room: Room, since: number, first: EventWindow): AsyncIterable<RoomEvent[]> {
    let window = first;
    let expected = since + 1;
    while (expected <= room.lastSeq) {
      const page = window.items.filter((event) => event.seq <= room.lastSeq);
      // Trimming may have overtaken this reader: then the stream has a hole, and it must stop.
      if (page.length === 0 || page[0]!.seq !== expected) {
        throw new HistoryTrimmed(`events after seq ${expected - 1} of room '${room.id}' are no longer kept`);
      }
      expected = page[page.length - 1]!.seq + 1;
      yield page;
      if (expected <= room.lastSeq) {
        window = await this.uow.repos.events.listAfter(room.id, expected - 1, this.pageSize);
      }
    }
  }
}
