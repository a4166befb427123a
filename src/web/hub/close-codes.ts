/**
 * Close codes the server sends, in a WebSocket close frame or an SSE stream's `event: close`, and
 * what each tells a client (see docs/protocol.md).
 */
export const CloseCode = {
  /** An event stream is over: its user left the room (a WebSocket connection outlives that). Do not reconnect. */
  Normal: 1000,
  /** Server going away (shutdown, deploy): reconnect with backoff, rejoin with `since`. */
  GoingAway: 1001,
  /** Policy violation (sustained abuse): reconnect only after a long backoff. */
  PolicyViolation: 1008,
  /** A client frame over the size limit: do not resend it. */
  MessageTooBig: 1009,
  /** Internal error: reconnect with backoff. */
  InternalError: 1011,
  /** A slow consumer (its send queue overflowed; "try again later"): reconnect and rejoin with `since`. */
  SlowConsumer: 1013,
  /** The token expired or was revoked: get a new token, then reconnect. */
  TokenExpired: 4001,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
