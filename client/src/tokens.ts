import { RoomcastError } from './errors.js';

/** Where a client's token comes from: a fixed one, or `getToken` before every connection attempt. */
export interface TokenSource {
  readonly token?: string;
  readonly getToken?: () => string | Promise<string>;
}

/** The token to connect with now. */
export async function currentToken(source: TokenSource): Promise<string> {
  return source.getToken ? await source.getToken() : (source.token as string);
}

/** What the client reports when `getToken` failed (it retries). */
export function tokenError(error: unknown): RoomcastError {
  const reason = error instanceof Error ? error.message : String(error);
  return new RoomcastError('unauthenticated', `could not get a usable token: ${reason}`);
}

/** Refuses options that give no way to get a token. */
export function requireTokenSource(source: TokenSource): void {
  if (source.token === undefined && source.getToken === undefined) throw new TypeError('token or getToken is required');
}
