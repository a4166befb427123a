import type { PresenceFrame } from '../../client/src/protocol.js';
import { type RoomPresence, applyPresence } from '../../client/src/room-presence.js';

/**
 * A room's presence after these `presence` pushes, applied as the client library applies them:
 * the count, and the user ids present (sorted) unless the frames carried counts alone. Undefined
 * before the first frame.
 */
export function presenceFromFrames(
  frames: readonly Readonly<Record<string, unknown>>[],
): { count: number; users?: string[] } | undefined {
  let state: RoomPresence | undefined;
  for (const frame of frames) state = applyPresence(state, frame as unknown as PresenceFrame).presence;
  if (!state) return undefined;
  return state.users ? { count: state.count, users: [...state.users.keys()].sort() } : { count: state.count };
}
