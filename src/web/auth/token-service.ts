import { type KeyObject, createSecretKey } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { User } from '../../domain/user.js';
import { ApiError } from '../errors.js';
import { isStorableText, userIdSchema } from '../schemas.js';

const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified tokens remembered, so that a client calling often is not verified on every call. */
const VERIFIED_CACHE_SIZE = 10_000;

const claimsSchema = z.object({
  sub: userIdSchema,
  // An empty name falls back to sub.
  name: z.string().max(100).refine(isStorableText).optional(),
  scope: z.string().optional(),
  exp: z.number().optional(),
});

/** A verified token: who it names and when it stops being valid. */
export interface Identity {
  readonly user: User;
  /** Milliseconds since the epoch, clock tolerance included; undefined when the token never expires. */
  readonly expiresAtMs: number | undefined;
}

/** Verifies and (in development) issues HS256 JWTs signed with the server's secret. */
export class TokenService {
  // Imported once: jose would import raw key bytes again on every call.
  private readonly key: KeyObject;
  private readonly verified = new Map<string, Identity>();

  constructor(
    secret: string,
    private readonly requireExpiry: boolean,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** Throws `unauthenticated` for a token that is malformed, badly signed, expired or not yet valid. */
  async verify(token: string): Promise<Identity> {
    const known = this.verified.get(token);
    if (known && (known.expiresAtMs === undefined || Date.now() < known.expiresAtMs)) return known;
    const identity = await this.verifyNow(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, identity);
    return identity;
  }

  private async verifyNow(token: string): Promise<Identity> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: this.requireExpiry ? ['sub', 'exp'] : ['sub'],
      }));
    } catch (error) {
      throw new ApiError('unauthenticated', describeFailure(error));
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new ApiError('unauthenticated', 'token claims are malformed');
    const { sub, name, scope, exp } = claims.data;
    const expiresAtMs = exp === undefined ? undefined : (exp + CLOCK_TOLERANCE_SECONDS) * 1000;
    return { user: { id: sub, name: name || sub, isService: scope === 'service' }, expiresAtMs };
  }

  /** A token for `userId`, valid for `ttlSeconds`. */
  issue(userId: string, name: string, ttlSeconds: number): Promise<string> {
    return new SignJWT({ name })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim '${error.claim}' is invalid or missing`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not allowed (HS256 only)';
  return 'token is invalid';
}
