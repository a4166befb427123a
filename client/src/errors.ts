/** Error codes from the protocol (docs/protocol.md), plus `unauthenticated` for a refused token. */
export type ErrorCode =
  | 'invalid_message'
  | 'invalid_request'
  | 'unknown_op'
  | 'forbidden'
  | 'room_not_found'
  | 'room_full'
  | 'idempotency_conflict'
  | 'not_subscribed'
  | 'too_many_subscriptions'
  | 'rate_limited'
  | 'unavailable'
  | 'internal_error'
  | 'unauthenticated';

/**
 * Every failure the client reports: a server `error` reply carries the server's code; an op
 * that could not be sent, or whose connection ended before its reply, fails with `unavailable`.
 */
export class RoomcastError extends Error {
  override readonly name = 'RoomcastError';

  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
