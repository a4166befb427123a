import type { PresentUser } from './ports/presence.js';
import type { User } from './user.js';

/** Each user's live connections per room, as one node counts them. */
export class PresenceCounts {
  private readonly rooms = new Map<string, Map<string, PresentUser>>();

  /** Counts one more connection; returns the user's connections to the room now. */
  add(roomId: string, user: Pick<User, 'id' | 'name'>): number {
    let users = this.rooms.get(roomId);
    if (!users) {
      users = new Map();
      this.rooms.set(roomId, users);
    }
    const connections = (users.get(user.id)?.connections ?? 0) + 1;
    users.set(user.id, { userId: user.id, name: user.name, connections });
    return connections;
  }

  /** Counts one connection fewer; returns what is left, or undefined when none was counted. */
  remove(roomId: string, userId: string): number | undefined {
    const users = this.rooms.get(roomId);
    const present = users?.get(userId);
    if (!users || !present) return undefined;
    const connections = present.connections - 1;
    if (connections > 0) {
      users.set(userId, { ...present, connections });
    } else {
      users.delete(userId);
      if (users.size === 0) this.rooms.delete(roomId);
    }
    return connections;
  }

  inRoom(roomId: string): PresentUser[] {
    return [...(this.rooms.get(roomId)?.values() ?? [])];
  }

  /** Every room and user counted now, as a snapshot. */
  all(): { roomId: string; present: PresentUser }[] {
    return [...this.rooms].flatMap(([roomId, users]) => [...users.values()].map((present) => ({ roomId, present })));
  }
}
