/** The codes of the errors a caller can cause by breaking a domain rule (a subset of the protocol's codes). */
export type DomainErrorCode =
  | 'room_not_found'
  | 'room_exists'
  | 'room_full'
  | 'forbidden'
  | 'invalid_request'
  | 'payload_too_large'
  | 'idempotency_conflict';

/** Base of every error a caller can cause; `code` is the stable protocol error code. */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}

/** The room does not exist. */
export class RoomNotFound extends DomainError {
  readonly code = 'room_not_found';
  constructor(roomId: string) {
    super(`room '${roomId}' does not exist`);
  }
}

/** A room with this id already exists. */
export class RoomExists extends DomainError {
  readonly code = 'room_exists';
  constructor(roomId: string) {
    super(`room '${roomId}' already exists`);
  }
}

/** The room has reached its capacity. */
export class RoomFull extends DomainError {
  readonly code = 'room_full';
  constructor(roomId: string, capacity: number) {
    super(`room '${roomId}' is full (${capacity} members)`);
  }
}

/** The caller may not do this (not a member, reserved event type, ...). */
export class Forbidden extends DomainError {
  readonly code = 'forbidden';
}

/** A well-formed request that the rules do not accept. */
export class InvalidRequest extends DomainError {
  readonly code = 'invalid_request';
}

/** Event data larger than the protocol allows. */
export class PayloadTooLarge extends DomainError {
  readonly code = 'payload_too_large';
}

/** An idempotency key used before, within its lifetime, for another event (a different type or data). */
export class IdempotencyConflict extends DomainError {
  readonly code = 'idempotency_conflict';
  constructor(roomId: string, key: string) {
    super(`idempotency key '${key}' was used in room '${roomId}' for an event with another type or data`);
  }
}

/**
 * Events a replay needed were trimmed from the history while it was reading them. Not a caller's
 * error and not a protocol code: the replay that meets it ends the connection (1013), and the
 * client's rejoin with `since` then learns `recovered: false`.
 */
export class HistoryTrimmed extends Error {}
