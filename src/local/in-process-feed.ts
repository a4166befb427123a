import type { RoomFeed } from '../domain/ports/room-feed.js';

/** A single node: every event is published by this process, so every room is followed already. */
export const IN_PROCESS_FEED: RoomFeed = { follow: () => Promise.resolve() };
