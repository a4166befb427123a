/**
 * Brings a room's live events to this process. On a single node every event is published here,
 * so there is nothing to do; across nodes, events from elsewhere are taken in from the moment
 * `follow` resolves.
 */
export interface RoomFeed {
  /** Resolves once every event stored after this call will be pushed here, in seq order. */
  follow(roomId: string): Promise<void>;
}
