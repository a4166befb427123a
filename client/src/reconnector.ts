import { type ReconnectOptions, backoffDelay, policyDelay } from './backoff.js';
import type { Environment } from './environment.js';
import { CloseCode } from './protocol.js';

/** A reconnect was scheduled. */
export interface RetryInfo {
  /** Consecutive failed or dropped connections, 1 for the first retry. */
  readonly attempt: number;
  readonly delayMs: number;
  /** The close code of the connection that ended (1006 when it never opened). */
  readonly closeCode?: number;
  /** With the `sse` transport, each room has a stream of its own: the room whose stream will retry. */
  readonly room?: string;
}

/**
 * When one connection is tried again, whatever carries it: exponential backoff with full jitter
 * after a drop, the long wait after 1008, at once after 4001 (a fresh token is asked for first),
 * at once on a wake-up (back online, page visible) unless held by 1008, and never while offline.
 */
export class Reconnector {
  /** Connections in a row that failed or dropped; reset when one opens. */
  private failures = 0;
  /** Between a drop and the next attempt (a timer runs, or the device is offline). */
  private isWaiting = false;
  /** After close 1008, only the timer may end the wait, not a wake-up. */
  private isHeldByPolicy = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly stopWaking: () => void;

  constructor(
    private readonly options: Required<ReconnectOptions>,
    private readonly environment: Environment,
    /** Opens the connection. */
    private readonly tryNow: () => void,
  ) {
    this.stopWaking = environment.onWake(() => this.wake());
  }

  /** The first attempt: at once, or at the next wake-up while offline. */
  start(): void {
    this.isWaiting = true;
    this.attempt();
  }

  /** A connection opened: the next drop starts the backoff afresh. */
  opened(): void {
    this.failures = 0;
  }

  /** A connection ended or could not open: schedules the next attempt and says when. */
  schedule(closeCode: number | undefined): RetryInfo {
    let delayMs: number;
    if (closeCode === CloseCode.PolicyViolation) {
      this.isHeldByPolicy = true;
      delayMs = policyDelay(this.options);
    } else if (closeCode === CloseCode.TokenExpired) {
      delayMs = 0; // the next attempt asks for a fresh token first
    } else {
      delayMs = backoffDelay(this.failures, this.options);
    }
    this.failures += 1;
    this.isWaiting = true;
    this.retryTimer = setTimeout(() => {
      this.isHeldByPolicy = false;
      this.attempt();
    }, delayMs);
    return { attempt: this.failures, delayMs, ...(closeCode !== undefined && { closeCode }) };
  }

  /** No more attempts. */
  stop(): void {
    clearTimeout(this.retryTimer);
    this.isWaiting = false;
    this.stopWaking();
  }

  private attempt(): void {
    if (!this.environment.isOnline()) return; // still waiting: the `online` wake-up tries again
    this.isWaiting = false;
    this.tryNow();
  }

  private wake(): void {
    if (!this.isWaiting || this.isHeldByPolicy) return;
    clearTimeout(this.retryTimer);
    this.attempt();
  }
}
