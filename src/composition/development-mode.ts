import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';

/**
 * Development mode: no AUTH_SECRET (which production requires). Every difference it makes is
 * decided here: tokens signed with a secret made up at start, `POST /v1/dev/tokens` open, and
 * the demo page served unless DEMO=0.
 */
export interface DevelopmentMode {
  readonly isOn: boolean;
  /** AUTH_SECRET, or a random one made at start (tokens then stop working after a restart). */
  readonly tokenSecret: string;
  /** The demo page at `/`: DEMO=1, or development mode unless DEMO=0. */
  readonly servesDemo: boolean;
  /** The line logged at start in development mode. */
  readonly warning: string | undefined;
}

export function developmentMode(config: Config): DevelopmentMode {
  const isOn = config.authSecret === undefined;
  return {
    isOn,
    tokenSecret: config.authSecret ?? randomBytes(32).toString('hex'),
    servesDemo: config.demo ?? isOn,
    warning: isOn
      ? 'development mode: AUTH_SECRET is not set, so tokens are signed with a random secret and POST /v1/dev/tokens is open'
      : undefined,
  };
}
