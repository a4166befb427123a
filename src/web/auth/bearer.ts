import type { RequestHandler, Response } from 'express';
import type { User } from '../../domain/user.js';
import { ApiError } from '../errors.js';
import type { TokenService } from './token-service.js';

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** Requires a valid bearer token and keeps its user for the handlers. */
export function authenticate(tokens: TokenService): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new ApiError('unauthenticated', 'missing bearer token');
    res.locals.user = (await tokens.verify(token)).user;
    next();
  };
}

/** The user that `authenticate` verified for this request. */
export function currentUser(res: Response): User {
  return res.locals.user as User;
}
