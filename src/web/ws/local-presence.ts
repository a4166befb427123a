import type { Presence, PresenceAnnouncer, PresentUser } from '../../domain/ports/presence.js';
import type { User } from '../../domain/user.js';
import type { PresenceListener } from './presence-listener.js';

/** Presence on a single node: counts each user's live connections per room; services are not counted. */
export class LocalPresence implements Presence, PresenceListener {
  private readonly rooms = new Map<string, Map<string, PresentUser>>();

  constructor(private readonly announce: PresenceAnnouncer) {}

  connected(roomId: string, user: User): void {
    if (user.isService) return;
    let users = this.rooms.get(roomId);
    if (!users) {
      users = new Map();
      this.rooms.set(roomId, users);
    }
    const connections = (users.get(user.id)?.connections ?? 0) + 1;
    users.set(user.id, { userId: user.id, name: user.name, connections });
    if (connections === 1) this.announce(roomId, user, 'joined');
  }

  disconnected(roomId: string, user: User): void {
    if (user.isService) return;
    const users = this.rooms.get(roomId);
    const present = users?.get(user.id);
    if (!users || !present) return;
    if (present.connections > 1) {
      users.set(user.id, { ...present, connections: present.connections - 1 });
      return;
    }
    users.delete(user.id);
    if (users.size === 0) this.rooms.delete(roomId);
    this.announce(roomId, user, 'left');
  }

  async inRoom(roomId: string): Promise<PresentUser[]> {
    return [...(this.rooms.get(roomId)?.values() ?? [])];
  }

  /** Nothing to hand back: this node's counts die with it. */
  async stop(): Promise<void> {}
}
