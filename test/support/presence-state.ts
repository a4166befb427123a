/** A `presence` push as a test reads it off the wire. */
type PresenceFrame = Readonly<Record<string, unknown>>;
type Listed = readonly { userId: string }[] | undefined;

/**
 * A room's presence as a client following the protocol holds it after these frames: a snapshot
 * (`users`) replaces the list, a diff applies `joined` and `left`, a frame with neither is the
 * count alone. Undefined before the first frame.
 */
export function presenceFromFrames(frames: readonly PresenceFrame[]): { count: number; users?: string[] } | undefined {
  let state: { count: number; users?: Set<string> } | undefined;
  for (const frame of frames) {
    const count = Number(frame.count);
    const [listed, joined, left] = [frame.users as Listed, frame.joined as Listed, frame.left as string[] | undefined];
    if (listed) state = { count, users: new Set(listed.map((user) => user.userId)) };
    else if (joined || left) {
      const users = new Set(state?.users);
      for (const user of joined ?? []) users.add(user.userId);
      for (const userId of left ?? []) users.delete(userId);
      state = { count, users };
    } else state = { count };
  }
  if (!state) return undefined;
  return state.users ? { count: state.count, users: [...state.users].sort() } : { count: state.count };
}
