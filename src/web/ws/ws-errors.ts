import type { Logger } from 'pino';
import { DomainError } from '../../domain/errors.js';
import type { ErrorCode } from '../error-codes.js';
import { ApiError } from '../errors.js';
import { type Frame, type FrameId, encodeError } from './codec.js';

/** An error that exists only on the WebSocket side of the protocol. */
export class SessionError extends Error {
  constructor(
    readonly code: 'not_subscribed' | 'too_many_subscriptions',
    message: string,
  ) {
    super(message);
  }
}

/** The code each error is reported with over WebSocket; a code missing here fails the type check. */
const OVER_WEBSOCKET: Readonly<Record<ErrorCode, ErrorCode>> = {
  invalid_request: 'invalid_request',
  invalid_message: 'invalid_message',
  unknown_op: 'unknown_op',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  room_not_found: 'room_not_found',
  not_found: 'not_found',
  // Only an event stream's Accept header raises it; a WebSocket op never does.
  not_acceptable: 'invalid_request',
  room_full: 'room_full',
  room_exists: 'room_exists',
  idempotency_conflict: 'idempotency_conflict',
  not_subscribed: 'not_subscribed',
  too_many_subscriptions: 'too_many_subscriptions',
  // A frame is at most 64 KiB, so oversized data is one more request the rules refuse.
  payload_too_large: 'invalid_request',
  rate_limited: 'rate_limited',
  internal_error: 'internal_error',
  unavailable: 'unavailable',
};

/** The `error` reply for an op that threw; anything but a protocol error is logged and reported as `internal_error`. */
export function errorFrame(id: FrameId, error: unknown, logger: Logger, userId: string): Frame {
  if (error instanceof SessionError || error instanceof DomainError || error instanceof ApiError) {
    return encodeError(id, OVER_WEBSOCKET[error.code], error.message);
  }
  logger.error({ err: error, userId }, 'websocket op failed');
  return encodeError(id, 'internal_error', 'internal error');
}
