import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** A sustained rate with room for short bursts above it. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** The answer for one call: allowed, or refused until `retryAfterMs` has passed. */
export type RateVerdict = { readonly isAllowed: true } | { readonly isAllowed: false; readonly retryAfterMs: number };

// The burst allowance above the sustained rate refills over this long.
const BURST_REFILL_SECONDS = 10;

/**
 * Counts calls per key (rate-limiter-flexible): `perSecond` each second, plus up to
 * `burst - perSecond` more drawn from an allowance that refills every 10 s.
 */
export class KeyedRateLimiter {
  private readonly limiter: BurstyRateLimiter;

  constructor(limit: RateLimit) {
    this.limiter = new BurstyRateLimiter(
      new RateLimiterMemory({ points: limit.perSecond, duration: 1 }),
      new RateLimiterMemory({
        points: Math.max(1, limit.burst - limit.perSecond),
        duration: BURST_REFILL_SECONDS,
      }),
    );
  }

  /** Counts one call for `key`; the accounting happens at once, so calls are judged in arrival order. */
  async consume(key: string): Promise<RateVerdict> {
    try {
      await this.limiter.consume(key);
      return { isAllowed: true };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { isAllowed: false, retryAfterMs: refusal.msBeforeNext };
    }
  }
}
