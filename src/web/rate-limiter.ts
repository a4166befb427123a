import type { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

/** A sustained rate with room for short bursts above it. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** The answer for one call: allowed, or refused until `retryAfterMs` has passed. */
export type RateVerdict = { readonly isAllowed: true } | { readonly isAllowed: false; readonly retryAfterMs: number };

/** Where counts live: this process only, or Redis, so that a limit holds across every node. */
export type RateLimitStore =
  { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly client: Redis; readonly prefix: string };

// The burst allowance above the sustained rate refills over this long.
const BURST_REFILL_SECONDS = 10;

/**
 * Counts calls per key (rate-limiter-flexible): `perSecond` each second, plus up to
 * `burst - perSecond` more drawn from an allowance that refills every 10 s.
 */
export class KeyedRateLimiter {
  private readonly limiter: BurstyRateLimiter;

  constructor(limit: RateLimit, store: RateLimitStore = { kind: 'memory' }) {
    this.limiter = new BurstyRateLimiter(
      counter(store, 'rate', limit.perSecond, 1),
      counter(store, 'burst', Math.max(1, limit.burst - limit.perSecond), BURST_REFILL_SECONDS),
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

function counter(store: RateLimitStore, name: string, points: number, duration: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration });
  if (store.kind === 'memory') return memory;
  // While Redis is unreachable each node counts on its own rather than refusing or stalling every call.
  return new RateLimiterRedis({
    storeClient: store.client,
    keyPrefix: `${store.prefix}:${name}`,
    points,
    duration,
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}
