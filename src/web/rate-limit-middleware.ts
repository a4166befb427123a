import type { ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors.js';
import type { KeyedRateLimiter } from './rate-limiter.js';

/** Refuses calls over the limit for their key with 429 `rate_limited` and `Retry-After`. */
export function limitCalls(limiter: KeyedRateLimiter, keyOf: (req: Request) => string): RequestHandler {
  return async (req, res, next) => {
    await requireWithinRate(limiter, keyOf(req), res);
    next();
  };
}

/** Counts one call for `key`; over the limit, sets `Retry-After` and throws 429 `rate_limited`. */
export async function requireWithinRate(limiter: KeyedRateLimiter, key: string, res: ServerResponse): Promise<void> {
  const verdict = await limiter.consume(key);
  if (verdict.isAllowed) return;
  res.setHeader('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
  throw new ApiError('rate_limited', `too many requests; retry after ${verdict.retryAfterMs} ms`);
}
