/** Reconnect delays; every field has a default. */
export interface ReconnectOptions {
  /** The first retry waits up to this long (default 500 ms); each failure doubles the ceiling. */
  readonly baseDelayMs?: number;
  /** The ceiling never passes this (default 15 s). */
  readonly maxDelayMs?: number;
  /** After close 1008 (policy violation), wait between this and twice this (default 30 s). */
  readonly policyDelayMs?: number;
}

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  policyDelayMs: 30_000,
};

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base × 2^attempt)),
 * so that clients dropped together by a restart do not come back together.
 */
export function backoffDelay(attempt: number, options: Required<ReconnectOptions>, random = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** The long wait after close 1008: in [policyDelayMs, 2 × policyDelayMs). */
export function policyDelay(options: Required<ReconnectOptions>, random = Math.random): number {
  return Math.floor(options.policyDelayMs * (1 + random()));
}
