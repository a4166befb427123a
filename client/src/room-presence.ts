import type { PresenceFrame } from './protocol.js';
import type { MemberData } from './room-event.js';

/**
 * Who is connected to a room right now, as the server last said: state, not history. Each join
 * brings a snapshot that replaces it, and diffs change it in between; while reconnecting the last
 * state stays. Presence frames the server dropped for a slow connection leave it stale until the
 * next join's snapshot.
 */
export interface RoomPresence {
  /** Users with at least one live subscription to the room, on any node. */
  readonly count: number;
  /** userId → name; undefined when the server sends the count alone (over its listing limit, 100 by default). */
  readonly users: ReadonlyMap<string, string> | undefined;
}

/** One presence update of a room: the new state, and what a diff changed. */
export interface PresenceChange {
  /** The state after the update, the same object as `room.presence`. */
  readonly presence: RoomPresence;
  /** The users a diff added; empty when a snapshot or a count alone replaced the state. */
  readonly joined: readonly MemberData[];
  /** The ids of the users a diff removed; empty when a snapshot or a count alone replaced the state. */
  readonly left: readonly string[];
}

/**
 * The state after `frame`: a list (`users`) or a count alone replaces `current`; a diff sets its
 * `joined` by id and deletes its `left` by id, so applying one twice changes nothing.
 */
export function applyPresence(current: RoomPresence | undefined, frame: PresenceFrame): PresenceChange {
  const { count, users, joined = [], left = [] } = frame;
  if (users) {
    const listed = new Map(users.map((user) => [user.userId, user.name]));
    return { presence: { count, users: listed }, joined: [], left: [] };
  }
  if (!frame.joined && !frame.left) return { presence: { count, users: undefined }, joined: [], left: [] };
  // With no list to apply the diff to (counts only so far, or a dropped snapshot), only the count is known.
  const next = current?.users && new Map(current.users);
  for (const user of joined) next?.set(user.userId, user.name);
  for (const userId of left) next?.delete(userId);
  return { presence: { count, users: next }, joined, left };
}
