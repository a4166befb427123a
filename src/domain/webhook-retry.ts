/** A wait is never longer than this, whatever the attempt. */
export const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;
/** Each wait is the exponential delay times a random factor in [1 - JITTER, 1 + JITTER]. */
const JITTER = 0.2;

/** What follows a failed attempt: another one after `delayMs`, or none (the message is dropped). */
export type NextAttempt = { readonly retryInMs: number } | { readonly drop: true };

/**
 * When to try a message again: the n-th retry waits about `baseMs` × 2^(n−1), jittered so that
 * messages that failed together do not come back together, each wait capped at an hour; after
 * `maxAttempts` attempts the message is dropped.
 */
export class RetryPolicy {
  constructor(
    private readonly maxAttempts: number,
    private readonly baseMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** After the attempt numbered `attempts` (from 1) failed. */
  afterFailure(attempts: number): NextAttempt {
    if (attempts >= this.maxAttempts) return { drop: true };
    const exponential = Math.min(this.baseMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);
    const jittered = exponential * (1 - JITTER + 2 * JITTER * this.random());
    return { retryInMs: Math.round(Math.min(jittered, MAX_RETRY_DELAY_MS)) };
  }
}
