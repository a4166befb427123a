import type { ServerResponse } from 'node:http';
import { type User, hasUserRateLimit } from '../../domain/user.js';
import { ApiError } from '../errors.js';
import type { HttpStep } from '../http-step.js';
import { contextOf } from '../request-context.js';
import { requireWithinRate } from '../rate-limit-middleware.js';
import type { KeyedRateLimiter } from '../rate-limiter.js';
import type { TokenService } from './token-service.js';

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * Requires a valid bearer token, keeps its user for the handlers, and counts the call against
 * the user's rate (service tokens are exempt: backends publish on behalf of many users).
 */
export function authenticate(tokens: TokenService, limiter: KeyedRateLimiter): HttpStep {
  return async (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new ApiError('unauthenticated', 'missing bearer token');
    const { user, expiresAtMs } = await tokens.verify(token);
    if (hasUserRateLimit(user)) await requireWithinRate(limiter, `user:${user.id}`, res);
    const context = contextOf(res);
    context.user = user;
    context.tokenExpiresAtMs = expiresAtMs;
    next();
  };
}

/** The user that `authenticate` verified for this request. */
export function currentUser(res: ServerResponse): User {
  return contextOf(res).user!;
}
