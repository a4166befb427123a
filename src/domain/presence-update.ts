import type { PresentUser } from './ports/presence.js';

/** A user as presence frames name them. */
export type PresenceEntry = Pick<PresentUser, 'userId' | 'name'>;

/** Who is in a room now: `users` is left out above the listing limit (`count` alone then). */
export interface PresenceSnapshot {
  readonly room: string;
  readonly count: number;
  readonly users?: readonly PresenceEntry[];
}

/** What changed in a room over one window: `joined` and `left` are left out above the listing limit. */
export interface PresenceDiff {
  readonly room: string;
  readonly count: number;
  readonly joined?: readonly PresenceEntry[];
  readonly left?: readonly string[];
}

/**
 * One room's presence after a window: the snapshot for connections that are waiting for one, and
 * for the others what changed (a snapshot again when the room falls back under the listing
 * limit, since they hold no list to apply a diff to; nothing when nothing changed).
 */
export interface PresenceUpdate {
  readonly snapshot: PresenceSnapshot;
  readonly change?: PresenceSnapshot | PresenceDiff;
}
