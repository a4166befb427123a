import type { PresenceChange, PresenceChangeListener } from './ports/presence.js';
import type { User } from './user.js';

/** Who hears of presence changes: each listener in turn; one that throws is reported, and the others still hear. */
export class PresenceListeners {
  private readonly listeners: PresenceChangeListener[] = [];

  constructor(private readonly reportError: (error: unknown) => void) {}

  add(listener: PresenceChangeListener): void {
    this.listeners.push(listener);
  }

  tell(roomId: string, user: Pick<User, 'id' | 'name'>, change: PresenceChange): void {
    for (const listener of this.listeners) {
      try {
        listener(roomId, user, change);
      } catch (error) {
        this.reportError(error);
      }
    }
  }
}
