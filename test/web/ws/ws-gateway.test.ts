import { once } from 'node:events';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { capturingLogger } from '../../support/capturing-logger.js';
import type { LeaveRoom } from '../../../src/usecase/leave-room.js';
import type { PublishEvent } from '../../../src/usecase/publish-event.js';
import type { ResumeRoom } from '../../../src/usecase/resume-room.js';
import { Admission } from '../../../src/web/admission.js';
import { TokenService } from '../../../src/web/auth/token-service.js';
import type { ConnectionObserver } from '../../../src/web/metrics/server-metrics.js';
import { KeyedRateLimiter } from '../../../src/web/rate-limiter.js';
import { Hub } from '../../../src/web/hub/hub.js';
import type { ClientEnd } from '../../../src/web/hub/client-events.js';
import { UserConnections } from '../../../src/web/user-connections.js';
import { WS_PATH, WsGateway, type WsGatewayDeps } from '../../../src/web/ws/ws-gateway.js';
import { TEST_SECRET, signToken } from '../../support/tokens.js';

/** Hears every connection open and end, and lets a test wait for a count. */
class RecordingObserver implements ConnectionObserver {
  opened = 0;
  readonly ended: ClientEnd[] = [];
  private waiters: (() => void)[] = [];

  connectionOpened(): void {
    this.opened += 1;
    this.notify();
  }

  connectionEnded(end: ClientEnd): void {
    this.ended.push(end);
    this.notify();
  }

  /** Resolves once `count` connections have ended; rejects if they have not within `timeoutMs`. */
  endedCount(count: number, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
      };
      const check = () => {
        if (this.ended.length < count) return;
        stop();
        resolve();
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`${this.ended.length} of ${count} connections ended within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** What an upgrade attempt came to: an open socket, or the HTTP refusal and its JSON body. */
type Attempt =
  | { readonly kind: 'accepted'; readonly socket: WebSocket; readonly response: IncomingMessage }
  | { readonly kind: 'refused'; readonly status: number; readonly body: { error: { code: string; message: string } } };

const NEVER_CALLED = {
  execute: () => Promise.reject(new Error('no op is sent in these tests')),
};

let running: { gateway: WsGateway; server: Server; sockets: WebSocket[]; isClosed: boolean } | undefined;

afterEach(async () => {
  if (!running) return;
  const { gateway, server, sockets, isClosed } = running;
  running = undefined;
  sockets.forEach((socket) => socket.terminate());
  if (!isClosed) await gateway.close(1001, 'test over', 1_000);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A gateway on a real HTTP server on port 0, with a real token service, Hub and admission. */
async function startGateway(overrides: Partial<WsGatewayDeps> = {}) {
  const { logger, lines } = capturingLogger();
  const hub = new Hub((error) => {
    throw error;
  });
  const observer = new RecordingObserver();
  const admission = new Admission();
  const gateway = new WsGateway({
    hub,
    tokens: new TokenService(TEST_SECRET, false),
    session: {
      resumeRoom: NEVER_CALLED as unknown as ResumeRoom,
      leaveRoom: NEVER_CALLED as unknown as LeaveRoom,
      publishEvent: NEVER_CALLED as unknown as PublishEvent,
      maxSubscriptions: 100,
      presenceSynced: async () => {},
      opLimiter: new KeyedRateLimiter({ perSecond: 100, burst: 100 }),
    },
    allowedOrigins: ['https://app.example'],
    sendQueueLimitBytes: 1024 * 1024,
    pingIntervalMs: 60_000,
    userConnections: new UserConnections(2),
    observer,
    admission,
    logger,
    ...overrides,
  });
  const server = createServer((_req, res) => res.end());
  gateway.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const context = { gateway, server, sockets: [] as WebSocket[], isClosed: false };
  running = context;
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}${WS_PATH}`;

  /** Tries an upgrade; an accepted socket is closed after the test. */
  const attempt = (protocols: string[], options: { path?: string; headers?: Record<string, string> } = {}) =>
    new Promise<Attempt>((resolve, reject) => {
      const target = options.path === undefined ? url : url.replace(WS_PATH, options.path);
      const socket = new WebSocket(target, protocols, { headers: options.headers ?? {} });
      let response: IncomingMessage | undefined;
      socket.once('upgrade', (upgrade) => (response = upgrade));
      socket.once('open', () => {
        context.sockets.push(socket);
        resolve({ kind: 'accepted', socket, response: response! });
      });
      socket.on('error', reject);
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ kind: 'refused', status: res.statusCode ?? 0, body: JSON.parse(body) }));
      });
    });
  /** Opens a connection for `userId`, offering the token as a subprotocol; fails the test if refused. */
  const connect = async (userId: string): Promise<WebSocket> => {
    const result = await attempt(['roomcast.v1', `roomcast.token.${await signToken(userId)}`]);
    if (result.kind !== 'accepted') throw new Error(`refused: ${JSON.stringify(result)}`);
    return result.socket;
  };
  const close = async (code: number, reason: string, timeoutMs: number) => {
    context.isClosed = true;
    await gateway.close(code, reason, timeoutMs);
  };
  return { hub, observer, admission, lines, attempt, connect, close };
}

/** Resolves with the code and reason a socket was closed with. */
async function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  if (socket.readyState === WebSocket.CLOSED) throw new Error('socket closed before the test listened');
  const [code, reason] = (await once(socket, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}

/** One upgrade the gateway must refuse: what the client offers, and the refusal it gets. */
interface RefusalCase {
  readonly what: string;
  /** The subprotocols offered: roomcast.v1, a good token, or both. */
  readonly offers: readonly ('roomcast.v1' | 'token')[];
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const REFUSALS: readonly RefusalCase[] = [
  {
    what: 'another path',
    offers: ['roomcast.v1', 'token'],
    path: '/elsewhere',
    status: 404,
    code: 'not_found',
    message: 'no WebSocket endpoint at /elsewhere',
  },
  {
    what: 'a token in the URL (even beside a good one)',
    offers: ['roomcast.v1', 'token'],
    path: `${WS_PATH}?token=x`,
    status: 401,
    code: 'unauthenticated',
    message: 'tokens are not accepted in the URL; use the subprotocol or the Authorization header',
  },
  {
    what: 'an Origin not allowed (before the token is looked at)',
    offers: ['roomcast.v1'],
    headers: { Origin: 'https://evil.example' },
    status: 403,
    code: 'forbidden',
    message: 'origin not allowed',
  },
  {
    what: 'subprotocols without roomcast.v1',
    offers: ['token'],
    status: 400,
    code: 'invalid_request',
    message: 'subprotocol roomcast.v1 is required',
  },
  { what: 'no token', offers: ['roomcast.v1'], status: 401, code: 'unauthenticated', message: 'missing token' },
];

describe('WsGateway refusals', () => {
  it.each(REFUSALS.map((refusal) => [refusal.what, refusal.status, refusal.code, refusal] as const))(
    'refuses %s with %i %s, and opens nothing',
    async (_what, _status, _code, refusal) => {
      const { hub, observer, attempt } = await startGateway();
      const token = `roomcast.token.${await signToken('ann')}`;
      const protocols = refusal.offers.map((offer) => (offer === 'token' ? token : offer));
      const { path, headers } = refusal;
      expect(await attempt(protocols, { ...(path && { path }), ...(headers && { headers }) })).toEqual({
        kind: 'refused',
        status: refusal.status,
        body: { error: { code: refusal.code, message: refusal.message } },
      });
      expect(observer.opened).toBe(0);
      expect(hub.counts().clients).toBe(0);
    },
  );

  it('refuses a bad or an expired token with 401 unauthenticated', async () => {
    const { attempt } = await startGateway();
    const expired = await signToken('ann', { expiresIn: -60 });
    const forged = await signToken('ann', { secret: 'another-secret-that-is-long-enough-too!' });
    const refusals: Attempt[] = [];
    for (const token of ['garbage', expired, forged]) {
      refusals.push(await attempt(['roomcast.v1', `roomcast.token.${token}`]));
    }
    expect(refusals).toEqual([
      { kind: 'refused', status: 401, body: { error: { code: 'unauthenticated', message: 'token is invalid' } } },
      { kind: 'refused', status: 401, body: { error: { code: 'unauthenticated', message: 'token has expired' } } },
      { kind: 'refused', status: 401, body: { error: { code: 'unauthenticated', message: 'token is invalid' } } },
    ]);
  });

  it('refuses every upgrade with 503 unavailable once admission is closed', async () => {
    const { admission, observer, attempt, connect } = await startGateway();
    await connect('ann');
    admission.close();
    const refusal = await attempt(['roomcast.v1', `roomcast.token.${await signToken('bob')}`]);
    expect(refusal).toEqual({
      kind: 'refused',
      status: 503,
      body: { error: { code: 'unavailable', message: 'server is shutting down' } },
    });
    expect(observer.opened).toBe(1);
  });

  it('refuses a user past maxConnectionsPerUser with 429, and accepts one again after a close', async () => {
    const { observer, attempt, connect } = await startGateway();
    const token = `roomcast.token.${await signToken('ann')}`;
    const first = await connect('ann');
    await connect('ann');
    const refusal = await attempt(['roomcast.v1', token]);
    expect(refusal).toEqual({
      kind: 'refused',
      status: 429,
      body: { error: { code: 'rate_limited', message: 'a user may hold at most 2 connections' } },
    });
    await connect('bob');

    first.close();
    await observer.endedCount(1);
    expect((await attempt(['roomcast.v1', token])).kind).toBe('accepted');
  });

  it('counts upgrades verified together exactly: of three at a limit of two, one is refused', async () => {
    const token = await signToken('ann');
    const identity = await new TokenService(TEST_SECRET, false).verify(token);
    // All three verifications finish in the same turn, once the third upgrade has asked for one.
    let verifying = 0;
    let releaseAll: () => void = () => undefined;
    const allVerifying = new Promise<void>((resolve) => (releaseAll = resolve));
    const gated = {
      verify: async () => {
        if (++verifying === 3) releaseAll();
        await allVerifying;
        return identity;
      },
    };
    const { observer, attempt } = await startGateway({ tokens: gated as unknown as TokenService });
    const protocols = ['roomcast.v1', `roomcast.token.${token}`];
    const results = await Promise.all([attempt(protocols), attempt(protocols), attempt(protocols)]);
    expect(results.map((result) => (result.kind === 'accepted' ? 'accepted' : result.status)).sort()).toEqual([
      429,
      'accepted',
      'accepted',
    ]);
    expect(observer.opened).toBe(2);
  });

  it('answers 500 internal_error, saying nothing of the cause, when verifying fails unexpectedly', async () => {
    const failing = { verify: () => Promise.reject(new Error('key store at 10.0.0.7 unreachable')) };
    const { lines, attempt } = await startGateway({ tokens: failing as unknown as TokenService });
    const refusal = await attempt(['roomcast.v1', 'roomcast.token.anything']);
    expect(refusal).toEqual({
      kind: 'refused',
      status: 500,
      body: { error: { code: 'internal_error', message: 'internal error' } },
    });
    expect(lines.find((line) => line.msg === 'websocket upgrade failed')).toMatchObject({
      level: 50,
      err: { message: 'key store at 10.0.0.7 unreachable' },
    });
  });
});

describe('WsGateway connections', () => {
  it('selects roomcast.v1 and never the token; a bearer header needs no subprotocol', async () => {
    const { attempt } = await startGateway();
    const token = await signToken('ann');
    const withSubprotocol = await attempt(['roomcast.v1', `roomcast.token.${token}`]);
    const withHeader = await attempt([], { headers: { Authorization: `Bearer ${token}` } });
    if (withSubprotocol.kind !== 'accepted' || withHeader.kind !== 'accepted') throw new Error('refused');

    expect(withSubprotocol.response.headers['sec-websocket-protocol']).toBe('roomcast.v1');
    expect(JSON.stringify(withSubprotocol.response.headers)).not.toContain(token);
    expect(withHeader.response.headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('tells the observer of each connection once when it opens and once when it ends', async () => {
    const { hub, observer, connect } = await startGateway();
    const ann = await connect('ann');
    const bob = await connect('bob');
    expect(observer.opened).toBe(2);
    expect(hub.counts().clients).toBe(2);

    ann.close();
    bob.terminate();
    await observer.endedCount(2);
    expect(observer.ended).toEqual(['closed', 'closed']);
    expect(observer.opened).toBe(2);
    expect(hub.counts().clients).toBe(0);
  });

  it('closes every connection with the code and reason it is given, without waiting out the timeout', async () => {
    const { observer, connect, close } = await startGateway();
    const sockets = [await connect('ann'), await connect('bob')];
    const closes = sockets.map(closeOf);

    const startedAt = Date.now();
    await close(1001, 'server going away', 20_000);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(await Promise.all(closes)).toEqual([
      { code: 1001, reason: 'server going away' },
      { code: 1001, reason: 'server going away' },
    ]);
    await observer.endedCount(2);
    expect(observer.ended).toEqual(['closed', 'closed']);
  });

  it('terminates a connection that does not answer its close frame within the timeout', async () => {
    const { observer, connect, close } = await startGateway();
    const answering = await connect('ann');
    const silent = await connect('bob');
    const answered = closeOf(answering);
    // Reads nothing more: the close frame goes unanswered.
    silent.pause();

    const startedAt = Date.now();
    await close(1001, 'server going away', 300);
    const waited = Date.now() - startedAt;
    await observer.endedCount(2);

    expect(await answered).toEqual({ code: 1001, reason: 'server going away' });
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(observer.ended).toEqual(['closed', 'closed']);
  });
});
