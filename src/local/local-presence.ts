import type { PresenceChange, PresenceChangeListener, PresenceTracker, PresentUser } from '../domain/ports/presence.js';
import { PresenceCounts } from '../domain/presence-counts.js';
import { PresenceListeners } from '../domain/presence-listeners.js';
import { type User, countsInPresence } from '../domain/user.js';

/** Presence on a single node: each user's live connections per room, counted in this process. */
export class LocalPresence implements PresenceTracker {
  private readonly counts = new PresenceCounts();
  private readonly listeners: PresenceListeners;

  /** `reportError` hears of a listener that threw. */
  constructor(reportError: (error: unknown) => void) {
    this.listeners = new PresenceListeners(reportError);
  }

  connected(roomId: string, user: User): void {
    if (!countsInPresence(user)) return;
    if (this.counts.add(roomId, user) === 1) this.tell(roomId, user, 'joined');
  }

  disconnected(roomId: string, user: User): void {
    if (!countsInPresence(user)) return;
    if (this.counts.remove(roomId, user.id) === 0) this.tell(roomId, user, 'left');
  }

  onChange(listener: PresenceChangeListener): void {
    this.listeners.add(listener);
  }

  async inRoom(roomId: string): Promise<PresentUser[]> {
    return this.counts.inRoom(roomId);
  }

  /** Counted here and now: nothing to wait for. */
  async synced(): Promise<void> {}

  /** Nothing to hand back: this node's counts die with it. */
  async stop(): Promise<void> {}

  /** After the Hub command that noticed the change has finished (listeners publish through the Hub). */
  private tell(roomId: string, user: User, change: PresenceChange): void {
    queueMicrotask(() => this.listeners.tell(roomId, user, change));
  }
}
