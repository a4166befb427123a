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

/** Hears of each presence change, on whichever node it is noticed. */
export type PresenceChangeListener = (roomId: string, user: Pick<User, 'id' | 'name'>, change: PresenceChange) => void;

/**
 * This node's side of presence: told when a connection starts and stops receiving a room live
 * (after its join succeeded, until it unsubscribes, leaves, is evicted or closes), it keeps the
 * count that `inRoom` reads and tells its listeners when a user's first connection opens or
 * their last one closes. Only users who count in presence are counted.
 *
 * `connected` and `disconnected` are called inside a Hub command: they must not call back into
 * the Hub, and listeners hear of changes later, never inside that call.
 */
export interface PresenceTracker extends Presence {
  connected(roomId: string, user: User): void;
  disconnected(roomId: string, user: User): void;
  /** Adds a listener for the changes noticed from now on. */
  onChange(listener: PresenceChangeListener): void;
  /** Resolves once the changes told so far show in `inRoom`, on every node (or were given up for a resync). */
  synced(): Promise<void>;
  /** Stops tracking (at shutdown, once this node's connections are closed): its users leave presence. */
  stop(): Promise<void>;
}
