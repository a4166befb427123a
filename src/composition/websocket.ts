import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { Hub } from '../web/hub/hub.js';
import { KeyedRateLimiter } from '../web/rate-limiter.js';
import { WebServer } from '../web/web-server.js';
import { WsGateway } from '../web/ws/ws-gateway.js';
import type { Config } from './config.js';
import { TOKENS, provide } from './tokens.js';

/** The WebSocket side: the Hub (which event streams share), the gateway, and the server that carries HTTP and WebSocket alike. */
export function registerWebSocket(container: DependencyContainer, config: Config, logger: Logger): void {
  provide(container, TOKENS.hub, (get) => {
    const tracker = get(TOKENS.presence);
    const feed = get(TOKENS.presenceFeed);
    return new Hub((error) => logger.error({ err: error }, 'hub command failed'), config.sendQueueLimitBytes, {
      connected: (roomId, user) => tracker.connected(roomId, user),
      disconnected: (roomId, user) => tracker.disconnected(roomId, user),
      snapshotWanted: (roomId) => feed.snapshotWanted(roomId),
    });
  });
  provide(container, TOKENS.gateway, (get) => {
    const { leaveRoom, publishEvent } = get(TOKENS.roomUseCases);
    return new WsGateway({
      hub: get(TOKENS.hub),
      tokens: get(TOKENS.tokenService),
      session: {
        resumeRoom: get(TOKENS.resumeRoom),
        leaveRoom,
        publishEvent,
        maxSubscriptions: config.maxSubscriptionsPerConnection,
        presenceSynced: () => get(TOKENS.presence).synced(),
        opLimiter: new KeyedRateLimiter(config.wsOpsLimit),
      },
      allowedOrigins: config.allowedOrigins,
      sendQueueLimitBytes: config.sendQueueLimitBytes,
      pingIntervalMs: config.pingIntervalMs,
      userConnections: get(TOKENS.userConnections),
      observer: get(TOKENS.metrics),
      admission: get(TOKENS.admission),
      logger,
    });
  });
  provide(
    container,
    TOKENS.webServer,
    (get) =>
      new WebServer(get(TOKENS.httpHandler), get(TOKENS.gateway), get(TOKENS.admission), {
        port: config.port,
        host: config.host,
        drainMs: config.shutdownDrainMs,
        timeoutMs: config.shutdownTimeoutMs,
      }),
  );
}
