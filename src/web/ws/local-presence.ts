import type { Presence, PresenceAnnouncer, PresentUser } from '../../domain/ports/presence.js';
import { PresenceCounts } from '../../domain/presence-counts.js';
import type { User } from '../../domain/user.js';
import type { PresenceListener } from './presence-listener.js';

/** Presence on a single node: counts each user's live connections per room; services are not counted. */
export class LocalPresence implements Presence, PresenceListener {
  private readonly counts = new PresenceCounts();

  constructor(private readonly announce: PresenceAnnouncer) {}

  connected(roomId: string, user: User): void {
    if (user.isService) return;
    if (this.counts.add(roomId, user) === 1) this.announce(roomId, user, 'joined');
  }

  disconnected(roomId: string, user: User): void {
    if (user.isService) return;
    if (this.counts.remove(roomId, user.id) === 0) this.announce(roomId, user, 'left');
  }

  async inRoom(roomId: string): Promise<PresentUser[]> {
    return this.counts.inRoom(roomId);
  }

  /** Nothing to hand back: this node's counts die with it. */
  async stop(): Promise<void> {}
}
