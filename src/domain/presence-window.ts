import type { PresenceChange, PresentUser } from './ports/presence.js';
import type { PresenceEntry, PresenceUpdate } from './presence-update.js';

/**
 * The presence changes one room saw during one window, judged against who is present when the
 * window closes. A user's first change tells whether they were present when it opened; a user
 * who is where they started (a reconnect within the window) did not change. Judging by the
 * present rather than by adding up changes keeps diffs right when changes arrive out of order
 * (from several nodes), and makes `joined` and `left` safe to apply twice.
 */
export class PresenceWindow {
  private readonly touched = new Map<string, { readonly name: string; readonly wasPresent: boolean }>();

  note(user: PresenceEntry, change: PresenceChange): void {
    if (!this.touched.has(user.userId)) {
      this.touched.set(user.userId, { name: user.name, wasPresent: change === 'left' });
    }
  }

  /** Takes in the changes of a later window (where both saw a user, this one's first change counts). */
  absorb(later: PresenceWindow): void {
    for (const [userId, seen] of later.touched) if (!this.touched.has(userId)) this.touched.set(userId, seen);
  }

  /** The update for `room` given who is present in it now; users are listed up to `maxListed`. */
  close(room: string, present: readonly PresentUser[], maxListed: number): PresenceUpdate {
    const count = present.length;
    const { joined, left } = this.diff(present);
    if (count > maxListed) {
      // Counts alone: a change only when the count moved, and then the same frame as the snapshot.
      const snapshot = { room, count };
      return joined.length === left.length ? { snapshot } : { snapshot, change: snapshot };
    }
    const snapshot = { room, count, users: present.map(entry) };
    if (joined.length === 0 && left.length === 0) return { snapshot };
    // Back under the limit: connections that held the count alone need the whole list.
    const wasListed = count - joined.length + left.length <= maxListed;
    return { snapshot, change: wasListed ? { room, count, joined, left } : snapshot };
  }

  /** Who of the users this window saw is present now and was not when it opened, and the reverse. */
  private diff(present: readonly PresentUser[]): { joined: PresenceEntry[]; left: string[] } {
    const presentIds = new Set(present.map((user) => user.userId));
    const joined: PresenceEntry[] = [];
    const left: string[] = [];
    for (const [userId, { name, wasPresent }] of this.touched) {
      const isPresent = presentIds.has(userId);
      if (isPresent && !wasPresent) joined.push({ userId, name });
      if (!isPresent && wasPresent) left.push(userId);
    }
    return { joined, left };
  }
}

function entry(user: PresentUser): PresenceEntry {
  return { userId: user.userId, name: user.name };
}
