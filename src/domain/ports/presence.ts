import type { User } from '../user.js';

/** A user with at least one live connection subscribed to a room. */
export interface PresentUser {
  readonly userId: string;
  readonly name: string;
  readonly connections: number;
}

/** Who is connected to a room right now (on every node). */
export interface Presence {
  inRoom(roomId: string): Promise<PresentUser[]>;
}

/** A user's first connection to a room opened (`joined`), or their last one closed (`left`). */
export type PresenceChange = 'joined' | 'left';

/** Hears of presence changes, to tell the room. */
export type PresenceAnnouncer = (roomId: string, user: Pick<User, 'id' | 'name'>, change: PresenceChange) => void;
