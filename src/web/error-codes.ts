import type { DomainErrorCode } from '../domain/errors.js';

/** Every error code of the protocol (docs/protocol.md): the domain's, and those of the edges. */
export type ErrorCode =
  | DomainErrorCode
  | 'invalid_message'
  | 'unknown_op'
  | 'unauthenticated'
  | 'not_found'
  | 'not_acceptable'
  | 'not_subscribed'
  | 'too_many_subscriptions'
  | 'rate_limited'
  | 'internal_error'
  | 'unavailable';

/** The HTTP status of each code; a code missing here fails the type check. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  invalid_message: 400,
  unknown_op: 400,
  unauthenticated: 401,
  forbidden: 403,
  room_not_found: 404,
  not_found: 404,
  not_acceptable: 406,
  room_full: 409,
  room_exists: 409,
  idempotency_conflict: 409,
  not_subscribed: 409,
  too_many_subscriptions: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
};
