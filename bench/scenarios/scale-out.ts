import { readFileSync } from 'node:fs';

/**
 * Why the scale-out scenario (fan-out through the Redis broker) cannot run, or undefined when it
 * can: roomcast must know REDIS_URL (its built config mentions it) and REDIS_URL must be set.
 */
export function scaleOutSkipReason(): string | undefined {
  const config = readFileSync('dist/config.js', 'utf8');
  if (!config.includes('REDIS_URL')) return 'not yet: issue 6 (roomcast has no REDIS_URL setting)';
  if (!process.env.REDIS_URL) return 'not run: REDIS_URL is not set';
  return undefined;
}
