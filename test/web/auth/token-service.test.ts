import { type JWTPayload, SignJWT, UnsecuredJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenService } from '../../../src/web/auth/token-service.js';
import { ApiError } from '../../../src/web/errors.js';

const SECRET = 'token-service-test-secret-of-forty-chars!';
const OTHER_SECRET = 'another-secret-that-is-also-long-enough!!';
/** A fixed instant on a whole second, for the tests that control the clock. */
const NOW_MS = Date.UTC(2030, 5, 1, 12, 0, 0);
const NOW_S = NOW_MS / 1000;
const TOLERANCE_S = 5;

interface SignOptions {
  readonly secret?: string;
  readonly alg?: string;
  readonly sub?: string;
  /** Seconds since the epoch; omitted means no exp claim. */
  readonly exp?: number;
  readonly nbf?: number;
}

/** A token signed with jose directly, as an identity provider would; extra claims go in the payload as given. */
function sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' }).setIssuedAt();
  if (options.sub !== undefined) jwt = jwt.setSubject(options.sub);
  if (options.exp !== undefined) jwt = jwt.setExpirationTime(options.exp);
  if (options.nbf !== undefined) jwt = jwt.setNotBefore(options.nbf);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** Seconds since the epoch, `offset` seconds from now. */
function inSeconds(offset: number): number {
  return Math.floor(Date.now() / 1000) + offset;
}

/** The error `verify` rejects with; fails the test when it resolves. */
async function refusal(service: TokenService, token: string): Promise<unknown> {
  try {
    await service.verify(token);
  } catch (error) {
    return error;
  }
  throw new Error('expected the token to be refused');
}

async function expectRefused(service: TokenService, token: string, message: string): Promise<void> {
  const error = await refusal(service, token);
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject({ code: 'unauthenticated', message });
}

/** Freezes Date (only Date: jose's crypto and vitest's own timers stay real) at `ms`. */
function freezeClockAt(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
}

describe('TokenService.verify', () => {
  const service = new TokenService(SECRET, false);

  it('names the user from sub and name, and expires with exp plus the 5 s tolerance', async () => {
    const exp = inSeconds(3600);
    const token = await sign({ name: 'Ann Lee' }, { sub: 'ann', exp });
    expect(await service.verify(token)).toEqual({
      user: { id: 'ann', name: 'Ann Lee', isService: false },
      expiresAtMs: (exp + TOLERANCE_S) * 1000,
    });
  });

  it('uses sub as the name when name is missing or empty', async () => {
    const missing = await sign({}, { sub: 'bob', exp: inSeconds(60) });
    const empty = await sign({ name: '' }, { sub: 'cy', exp: inSeconds(60) });
    expect((await service.verify(missing)).user).toEqual({ id: 'bob', name: 'bob', isService: false });
    expect((await service.verify(empty)).user).toEqual({ id: 'cy', name: 'cy', isService: false });
  });

  it('makes a service caller only of scope "service" exactly', async () => {
    const serviceToken = await sign({ scope: 'service' }, { sub: 'backend', exp: inSeconds(60) });
    expect((await service.verify(serviceToken)).user.isService).toBe(true);
    for (const scope of ['services', 'Service', 'service admin', 'user', '']) {
      const token = await sign({ scope }, { sub: `not-${scope}`, exp: inSeconds(60) });
      expect((await service.verify(token)).user.isService, scope).toBe(false);
    }
  });

  it('accepts a token without exp when expiry is not required, with no expiry time', async () => {
    const token = await sign({ name: 'Dee' }, { sub: 'dee' });
    expect(await service.verify(token)).toEqual({
      user: { id: 'dee', name: 'Dee', isService: false },
      expiresAtMs: undefined,
    });
  });

  it('accepts sub of 128 characters and name of 100', async () => {
    const token = await sign({ name: 'n'.repeat(100) }, { sub: 's'.repeat(128), exp: inSeconds(60) });
    expect((await service.verify(token)).user).toEqual({
      id: 's'.repeat(128),
      name: 'n'.repeat(100),
      isService: false,
    });
  });
});

describe('TokenService.verify refusals', () => {
  const service = new TokenService(SECRET, false);
  const strict = new TokenService(SECRET, true);

  it('refuses an expired token', async () => {
    const token = await sign({}, { sub: 'ann', exp: inSeconds(-60) });
    await expectRefused(service, token, 'token has expired');
  });

  it('refuses a token signed with another secret', async () => {
    const token = await sign({}, { sub: 'ann', exp: inSeconds(60), secret: OTHER_SECRET });
    await expectRefused(service, token, 'token is invalid');
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const token = await sign({ scope: 'user' }, { sub: 'ann', exp: inSeconds(60) });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'ann', scope: 'service', exp: inSeconds(60) })).toString(
      'base64url',
    );
    await expectRefused(service, `${header}.${forged}.${signature}`, 'token is invalid');
  });

  it('refuses an unsigned token (alg none)', async () => {
    const token = new UnsecuredJWT({ sub: 'ann', scope: 'service' }).setExpirationTime(inSeconds(60)).encode();
    expect(decodeProtectedHeader(token).alg).toBe('none');
    await expectRefused(service, token, 'token algorithm is not allowed (HS256 only)');
  });

  it('refuses a token signed with the right secret but HS512', async () => {
    const token = await sign({}, { sub: 'ann', exp: inSeconds(60), alg: 'HS512' });
    await expectRefused(service, token, 'token algorithm is not allowed (HS256 only)');
  });

  it('refuses a token without sub', async () => {
    const token = await sign({ name: 'Nobody' }, { exp: inSeconds(60) });
    await expectRefused(service, token, "token claim 'sub' is invalid or missing");
  });

  it('refuses a token without exp when expiry is required', async () => {
    const token = await sign({}, { sub: 'ann' });
    await expectRefused(strict, token, "token claim 'exp' is invalid or missing");
  });

  it('accepts a token with exp when expiry is required', async () => {
    const exp = inSeconds(60);
    const token = await sign({}, { sub: 'ann', exp });
    expect(await strict.verify(token)).toMatchObject({ user: { id: 'ann' }, expiresAtMs: (exp + TOLERANCE_S) * 1000 });
  });

  it('refuses a token whose exp is not a number', async () => {
    const token = await sign({ sub: 'ann', exp: 'tomorrow' } as unknown as JWTPayload);
    await expectRefused(service, token, "token claim 'exp' is invalid or missing");
  });

  it.each<[string, JWTPayload]>([
    ['sub containing NUL', { sub: 'ann\u0000admin' }],
    // Stored as U+FFFD, it would be the same user as 'eve\ufffd' and every other lone surrogate.
    ['sub containing a lone surrogate', { sub: 'eve\ud800' }],
    ['an empty sub', { sub: '' }],
    ['sub of 129 characters', { sub: 's'.repeat(129) }],
    ['sub that is a number', { sub: 42 as unknown as string }],
    ['name of 101 characters', { sub: 'ann', name: 'n'.repeat(101) }],
    ['name containing NUL', { sub: 'ann', name: 'Ann\u0000' }],
    ['name containing a lone surrogate', { sub: 'ann', name: 'Ann \ud800' }],
    ['name that is not a string', { sub: 'ann', name: ['Ann'] }],
    ['scope that is not a string', { sub: 'ann', scope: ['service'] }],
  ])('refuses a token with %s as malformed', async (_case, claims) => {
    const token = await sign({ ...claims, exp: inSeconds(60) });
    await expectRefused(service, token, 'token claims are malformed');
  });

  it.each(['', 'garbage', 'a.b.c', 'a.b', 'Bearer x.y.z', '...'])('refuses %j as invalid', async (token) => {
    await expectRefused(service, token, 'token is invalid');
  });
});

describe('TokenService.verify against the clock', () => {
  beforeEach(() => freezeClockAt(NOW_MS));
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts a token expired less than 5 s ago and refuses one expired 5 s ago', async () => {
    const service = new TokenService(SECRET, false);
    const recent = await sign({}, { sub: 'ann', exp: NOW_S - TOLERANCE_S + 1 });
    const older = await sign({}, { sub: 'bob', exp: NOW_S - TOLERANCE_S });
    expect((await service.verify(recent)).user.id).toBe('ann');
    await expectRefused(service, older, 'token has expired');
  });

  it('accepts a token valid from 5 s ahead and refuses one valid from 6 s ahead', async () => {
    const service = new TokenService(SECRET, false);
    const soon = await sign({}, { sub: 'ann', exp: NOW_S + 60, nbf: NOW_S + TOLERANCE_S });
    const later = await sign({}, { sub: 'bob', exp: NOW_S + 60, nbf: NOW_S + TOLERANCE_S + 1 });
    expect((await service.verify(soon)).user.id).toBe('ann');
    await expectRefused(service, later, "token claim 'nbf' is invalid or missing");
  });

  it('answers a token verified before from memory while it is unexpired', async () => {
    const service = new TokenService(SECRET, false);
    const token = await sign({ name: 'Ann' }, { sub: 'ann', exp: NOW_S + 60 });
    const first = await service.verify(token);
    vi.setSystemTime((NOW_S + 60 + TOLERANCE_S) * 1000 - 1);
    expect(await service.verify(token)).toBe(first);
  });

  it('verifies a remembered token again once its expiry time has passed, and refuses it', async () => {
    const service = new TokenService(SECRET, false);
    const token = await sign({}, { sub: 'ann', exp: NOW_S + 60 });
    const { expiresAtMs } = await service.verify(token);
    expect(expiresAtMs).toBe((NOW_S + 60 + TOLERANCE_S) * 1000);
    vi.setSystemTime(expiresAtMs!);
    await expectRefused(service, token, 'token has expired');
    await expectRefused(service, token, 'token has expired');
  });

  it('keeps accepting a remembered token that never expires', async () => {
    const service = new TokenService(SECRET, false);
    const token = await sign({}, { sub: 'ann' });
    const first = await service.verify(token);
    vi.setSystemTime(NOW_MS + 10 * 365 * 24 * 3600 * 1000);
    expect(await service.verify(token)).toBe(first);
  });

  it('does not remember a refused token', async () => {
    const service = new TokenService(SECRET, false);
    const token = await sign({}, { sub: 'ann', exp: NOW_S + 60, nbf: NOW_S + 30 });
    await expectRefused(service, token, "token claim 'nbf' is invalid or missing");
    vi.setSystemTime(NOW_MS + 30 * 1000);
    expect((await service.verify(token)).user.id).toBe('ann');
  });
});

describe('TokenService.issue', () => {
  beforeEach(() => freezeClockAt(NOW_MS + 400));
  afterEach(() => {
    vi.useRealTimers();
  });

  it('issues an HS256 token that verify accepts, for the user and expiring ttlSeconds ahead', async () => {
    const issuer = new TokenService(SECRET, true);
    const token = await issuer.issue('ann', 'Ann Lee', 600);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({ name: 'Ann Lee', sub: 'ann', iat: NOW_S, exp: NOW_S + 600 });
    const verifier = new TokenService(SECRET, true);
    expect(await verifier.verify(token)).toEqual({
      user: { id: 'ann', name: 'Ann Lee', isService: false },
      expiresAtMs: (NOW_S + 600 + TOLERANCE_S) * 1000,
    });
  });

  it('issues a token that names the user by id when the name is empty', async () => {
    const service = new TokenService(SECRET, false);
    const token = await service.issue('bob', '', 60);
    expect((await service.verify(token)).user).toEqual({ id: 'bob', name: 'bob', isService: false });
  });

  it('issues a token that expires after ttlSeconds', async () => {
    const service = new TokenService(SECRET, false);
    const token = await service.issue('ann', 'Ann', 60);
    vi.setSystemTime((NOW_S + 60 + TOLERANCE_S) * 1000);
    await expectRefused(service, token, 'token has expired');
  });

  it('issues a token that a service with another secret refuses', async () => {
    const token = await new TokenService(SECRET, false).issue('ann', 'Ann', 60);
    await expectRefused(new TokenService(OTHER_SECRET, false), token, 'token is invalid');
  });
});
