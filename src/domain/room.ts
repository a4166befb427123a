import { RoomFull } from './errors.js';

export const DEFAULT_ROOM_CAPACITY = 1000;

/** A named stream of events with a member capacity. */
export class Room {
  constructor(
    readonly id: string,
    readonly name: string,
    readonly capacity: number,
    readonly lastSeq: number,
    /** Names this room's event stream; a new stream under the same id gets a new epoch. */
    readonly epoch: string,
    readonly createdAt: Date,
    readonly memberCount: number,
  ) {}

  /** Whether one more member fits. */
  canJoin(): boolean {
    return this.memberCount < this.capacity;
  }

  /** Throws `RoomFull` when one more member does not fit. */
  assertCanJoin(): void {
    if (!this.canJoin()) throw new RoomFull(this.id, this.capacity);
  }
}
