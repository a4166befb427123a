import { SignJWT } from 'jose';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256!';

export interface TokenOptions {
  readonly name?: string;
  readonly scope?: string;
  /** Seconds from now; negative for an expired token. Default one hour. */
  readonly expiresIn?: number;
  readonly secret?: string;
}

/** A token signed the way the server expects, for any user. */
export function signToken(userId: string, options: TokenOptions = {}): Promise<string> {
  const claims: Record<string, string> = { name: options.name ?? userId };
  if (options.scope) claims.scope = options.scope;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

/** Tokens for `count` users named `${prefix}0`, `${prefix}1`, ... */
export function signTokens(prefix: string, count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => signToken(`${prefix}${i}`)));
}
