import { Emitter } from './emitter.js';
import { RoomcastError } from './errors.js';
import type { RetryInfo } from './reconnector.js';

/** `connecting` until the first connection opens; `reconnecting` after any drop; `closed` only by `close()`. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  readonly state: ConnectionState;
  readonly previous: ConnectionState;
}

export interface ClientEvents {
  state: StateChange;
  retry: RetryInfo;
  /** Connection-level problems: `getToken` failed, or a fixed token expired (the client then closes). */
  error: RoomcastError;
}

/** How long a request may take before failing with `unavailable`, unless the options say. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** What both clients (WebSocket and streams) share: their state, each change told as a `state` event. */
export abstract class StatefulClient extends Emitter<ClientEvents> {
  private currentState: ConnectionState = 'connecting';

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Closes for good: rooms end, pending ops fail with `unavailable`. */
  abstract close(): Promise<void>;

  protected setState(state: ConnectionState): void {
    const previous = this.currentState;
    if (state === previous) return;
    this.currentState = state;
    this.emit('state', { state, previous });
  }

  /** A fixed token expired: told as an error, then the client closes (only `getToken` could renew it). */
  protected tokenExpired(): void {
    this.emit('error', new RoomcastError('unauthenticated', 'the token expired: pass getToken to renew it'));
    void this.close();
  }
}
