import type { PresenceChange } from '../domain/ports/presence.js';
import { RoomNotFound } from '../domain/errors.js';
import { PRESENCE_JOINED, PRESENCE_LEFT, userEvent } from '../domain/room-event.js';
import type { User } from '../domain/user.js';
import type { OrderedPublisher } from './ordered-publisher.js';

/**
 * Tells a room that a user's first connection to it opened or their last one closed: a stored
 * `presence.joined` / `presence.left` event, so that it reaches every subscriber in seq order and
 * a reconnecting client catches up on it like on any other event.
 */
export class AnnouncePresence {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly publisher: OrderedPublisher,
    private readonly reportError: (error: unknown) => void,
  ) {}

  execute(roomId: string, user: Pick<User, 'id' | 'name'>, change: PresenceChange): void {
    const type = change === 'joined' ? PRESENCE_JOINED : PRESENCE_LEFT;
    const stored = this.publisher.publish(userEvent(roomId, type, user)).then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof RoomNotFound)) this.reportError(error);
      },
    );
    this.pending.add(stored);
    void stored.finally(() => this.pending.delete(stored));
  }

  /** Resolves once every announcement made so far is stored and pushed (before the database closes). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
