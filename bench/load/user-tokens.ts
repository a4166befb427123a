import { type KeyObject, createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';

/** Long enough for any run: the server (in production) requires an expiry. */
const TOKEN_TTL_SECONDS = 24 * 3600;

/**
 * Signs user tokens the way roomcast verifies them (HS256 with its AUTH_SECRET), one distinct
 * user per subscriber: `u-<room>-<k>`, k counting up per room across the run's connects.
 */
export class UserTokens {
  private readonly key: KeyObject;
  private readonly nextByRoom = new Map<string, number>();

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** A token for the next user of `room`, never handed out before by this signer. */
  next(room: string): Promise<string> {
    const k = this.nextByRoom.get(room) ?? 0;
    this.nextByRoom.set(room, k + 1);
    const userId = `u-${room}-${k}`;
    return new SignJWT({ name: userId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + TOKEN_TTL_SECONDS)
      .sign(this.key);
  }
}
