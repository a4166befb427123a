import type { User } from '../../domain/user.js';

/**
 * Hears when a connection starts and stops receiving a room live (after its join succeeded, until
 * it unsubscribes, leaves, is evicted or closes). Called inside a Hub command: it must not call
 * back into the Hub.
 */
export interface PresenceListener {
  connected(roomId: string, user: User): void;
  disconnected(roomId: string, user: User): void;
}

export const NO_PRESENCE_LISTENER: PresenceListener = { connected: () => {}, disconnected: () => {} };
