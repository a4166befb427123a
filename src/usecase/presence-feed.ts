import type { PresenceChange, PresenceTracker } from '../domain/ports/presence.js';
import type { PresencePusher } from '../domain/ports/pusher.js';
import { PresenceWindow } from '../domain/presence-window.js';
import type { User } from '../domain/user.js';

export interface PresenceFeedOptions {
  /** How long a room gathers changes before its subscribers hear of them. */
  readonly diffMs: number;
  /** Above this many present users, updates carry the count alone. */
  readonly maxListed: number;
  /** Hears of the first read of presence that failed after one that did not (the window is retried). */
  readonly reportError: (error: unknown) => void;
}

interface OpenWindow {
  readonly changes: PresenceWindow;
  readonly timer: NodeJS.Timeout;
}

/**
 * Presence as state for a room's subscribers: the changes this node notices are gathered per room
 * over a window of `diffMs`, then judged against who is present when it closes (one read per room
 * per window), and the update goes to the pusher (which in a cluster hands it to the other nodes
 * too). A connection that wants a snapshot opens a window as well, and gets it when the window closes.
 * One room's windows are pushed in the order they closed. The tracker tells it of the changes.
 */
export class PresenceFeed {
  private readonly open = new Map<string, OpenWindow>();
  private readonly closing = new Map<string, Promise<void>>();
  private pusher: PresencePusher | undefined;
  private isFailing = false;

  constructor(
    private readonly tracker: PresenceTracker,
    private readonly options: PresenceFeedOptions,
  ) {
    tracker.onChange((roomId, user, change) => this.noted(roomId, user, change));
  }

  /** Where updates go from now on (the Hub, or the cluster's pusher). */
  deliverTo(pusher: PresencePusher): void {
    this.pusher = pusher;
  }

  /** A connection waits for the room's snapshot: it comes when the room's window closes. */
  snapshotWanted(roomId: string): void {
    this.windowOf(roomId);
  }

  /** Closes every open window now and resolves once their updates are pushed (at shutdown). */
  async flush(): Promise<void> {
    for (const roomId of [...this.open.keys()]) this.close(roomId);
    await Promise.all([...this.closing.values()]);
  }

  private noted(roomId: string, user: Pick<User, 'id' | 'name'>, change: PresenceChange): void {
    this.windowOf(roomId).changes.note({ userId: user.id, name: user.name }, change);
  }

  /** The room's open window; one is opened (with `changes`, or none yet) when there is none. */
  private windowOf(roomId: string, changes?: PresenceWindow): OpenWindow {
    let window = this.open.get(roomId);
    if (!window) {
      const timer = setTimeout(() => this.close(roomId), this.options.diffMs);
      timer.unref();
      window = { changes: changes ?? new PresenceWindow(), timer };
      this.open.set(roomId, window);
    }
    return window;
  }

  private close(roomId: string): void {
    const window = this.open.get(roomId);
    if (!window) return;
    this.open.delete(roomId);
    clearTimeout(window.timer);
    const previous = this.closing.get(roomId) ?? Promise.resolve();
    const pushed = previous.then(() => this.push(roomId, window.changes));
    this.closing.set(roomId, pushed);
    void pushed.then(() => {
      if (this.closing.get(roomId) === pushed) this.closing.delete(roomId);
    });
  }

  private async push(roomId: string, changes: PresenceWindow): Promise<void> {
    try {
      const present = await this.tracker.inRoom(roomId);
      this.isFailing = false;
      this.pusher?.pushPresence(changes.close(roomId, present, this.options.maxListed));
    } catch (error) {
      if (!this.isFailing) this.options.reportError(error);
      this.isFailing = true;
      this.retry(roomId, changes);
    }
  }

  /** The failed window's changes come first, then whatever the room noticed since. */
  private retry(roomId: string, changes: PresenceWindow): void {
    const later = this.open.get(roomId);
    if (later) {
      this.open.delete(roomId);
      clearTimeout(later.timer);
      changes.absorb(later.changes);
    }
    this.windowOf(roomId, changes);
  }
}
