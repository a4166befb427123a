import { once } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Admission } from '../admission.js';
import type { Identity, TokenService } from '../auth/token-service.js';
import { ApiError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { ClientEnd } from '../hub/client-events.js';
import type { ConnectionObserver } from '../metrics/server-metrics.js';
import type { UserConnections } from '../user-connections.js';
import { closePaced } from './paced-close.js';
import { SUBPROTOCOL, isOriginAllowed, readUpgradeCredentials } from './upgrade-auth.js';
import { refuseUpgrade } from './upgrade-refusal.js';
import { WsClient } from './ws-client.js';
import { WsSession, type WsSessionDeps } from './ws-session.js';

export const WS_PATH = '/v1/ws';
const MAX_FRAME_BYTES = 64 * 1024;

/** What the gateway needs from the composition root. */
export interface WsGatewayDeps {
  readonly hub: Hub;
  readonly tokens: TokenService;
  readonly session: Omit<WsSessionDeps, 'hub' | 'logger'>;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly sendQueueLimitBytes: number;
  readonly pingIntervalMs: number;
  /** Counted with the user's event streams against one limit. */
  readonly userConnections: UserConnections;
  readonly observer: ConnectionObserver;
  /** Closed once shutdown has begun: upgrades are refused from then on. */
  readonly admission: Admission;
  readonly logger: Logger;
}

/**
 * The WebSocket entrance: checks path, origin and token before the upgrade (refusing with a
 * plain HTTP error, so no socket exists for a stranger), then wires each connection to a
 * client, a session and the Hub. It owns the one heartbeat timer and the shutdown close, and
 * both reach every client of the Hub: its own connections and the event streams alike.
 */
export class WsGateway {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    clientTracking: false,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  private readonly sockets = new Set<WebSocket>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly deps: WsGatewayDeps) {}

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      this.upgrade(req, socket, head).catch((error: unknown) => {
        this.deps.logger.error({ err: error }, 'websocket upgrade failed');
        if (!socket.destroyed) refuseUpgrade(socket, 'internal_error', 'internal error');
      });
    });
    this.heartbeat = setInterval(() => this.deps.hub.keepAliveAll(), this.deps.pingIntervalMs);
    this.heartbeat.unref();
  }

  /**
   * Closes every Hub client with `code` after its queue, spread over `windowMs` (see closePaced);
   * resolves when the window is over. Upgrades are refused by then (admission is closed).
   */
  async drain(code: number, reason: string, windowMs: number): Promise<void> {
    const clients = this.deps.hub.clients();
    if (clients.length > 0) this.deps.logger.info({ connections: clients.length, windowMs }, 'closing connections');
    await closePaced(clients, windowMs, (client) => this.deps.hub.close(client, code, reason));
  }

  /**
   * Closes every Hub client with `code` after its queue; terminates the WebSocket connections left
   * after the timeout (event streams left then are cut with the HTTP server's requests).
   */
  async close(code: number, reason: string, timeoutMs: number): Promise<void> {
    clearInterval(this.heartbeat);
    const ends = [...this.sockets].map((ws) => once(ws, 'close'));
    this.deps.hub.closeAll(code, reason);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(ends), timeout]);
    clearTimeout(timer);
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return refuseUpgrade(socket, 'not_found', `no WebSocket endpoint at ${url.pathname}`);
    if (!this.deps.admission.isOpen) return refuseUpgrade(socket, 'unavailable', 'server is shutting down');
    if (url.searchParams.has('token')) {
      return refuseUpgrade(
        socket,
        'unauthenticated',
        'tokens are not accepted in the URL; use the subprotocol or the Authorization header',
      );
    }
    if (!isOriginAllowed(req.headers.origin, this.deps.allowedOrigins)) {
      return refuseUpgrade(socket, 'forbidden', 'origin not allowed');
    }
    const credentials = readUpgradeCredentials(req);
    if (credentials.offersSubprotocols && !credentials.offersRoomcast) {
      return refuseUpgrade(socket, 'invalid_request', `subprotocol ${SUBPROTOCOL} is required`);
    }
    if (!credentials.token) return refuseUpgrade(socket, 'unauthenticated', 'missing token');
    let identity: Identity;
    try {
      identity = await this.deps.tokens.verify(credentials.token);
    } catch (error) {
      if (error instanceof ApiError) return refuseUpgrade(socket, error.code, error.message);
      throw error;
    }
    if (socket.destroyed) return;
    // From this check to `connect` nothing awaits, so concurrent upgrades cannot both slip under the limit.
    const { userConnections } = this.deps;
    if (!userConnections.hasRoomFor(identity.user.id)) {
      return refuseUpgrade(socket, 'rate_limited', userConnections.refusal);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connect(ws, identity));
  }

  private connect(ws: WebSocket, identity: Identity): void {
    const { hub, logger, observer } = this.deps;
    const user = identity.user;
    ws.on('error', (error) => logger.debug({ err: error, userId: user.id }, 'websocket error'));
    this.sockets.add(ws);
    this.deps.userConnections.opened(user.id);
    ws.once('close', () => {
      this.sockets.delete(ws);
      this.deps.userConnections.closed(user.id);
    });
    const client = new WsClient(ws, user, this.deps.sendQueueLimitBytes, identity.expiresAtMs, {
      closed: (ended: WsClient, end: ClientEnd) => {
        hub.unregister(ended);
        observer.connectionEnded(end, 'websocket');
        logger.info({ userId: user.id, end }, 'websocket closed');
      },
      // The socket may take a while to close (its close frame waits behind what the peer has not read).
      closingAsSlowConsumer: (pendingBytes: number) =>
        logger.warn({ userId: user.id, pendingBytes }, 'slow consumer: closing with 1013'),
    });
    const session = new WsSession(client, { ...this.deps.session, hub, logger });
    hub.register(client);
    observer.connectionOpened('websocket');
    ws.on('message', (data, isBinary) => session.receive(data as Buffer, isBinary));
    logger.info({ userId: user.id }, 'websocket opened');
  }
}
