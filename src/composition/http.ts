import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { DatabaseHealth } from '../database/database-health.js';
import { Admission } from '../web/admission.js';
import { TokenService } from '../web/auth/token-service.js';
import { createHttpHandler } from '../web/http-app.js';
import { ServerMetrics } from '../web/metrics/server-metrics.js';
import { KeyedRateLimiter } from '../web/rate-limiter.js';
import { UserConnections } from '../web/user-connections.js';
import type { Config } from './config.js';
import type { DevelopmentMode } from './development-mode.js';
import { TOKENS, provide } from './tokens.js';

/** Where `npm run build` bundles the demo page (demo/build.ts): `dist/demo`, seen from src/ and dist/ alike. */
const DEMO_BUNDLE_DIR = fileURLToPath(new URL('../../dist/demo/', import.meta.url));

/** The REST side: tokens, metrics, rate limits, health checks and the express application (event streams included). */
export function registerHttp(
  container: DependencyContainer,
  config: Config,
  devMode: DevelopmentMode,
  logger: Logger,
): void {
  provide(container, TOKENS.tokenService, () => new TokenService(devMode.tokenSecret, config.nodeEnv === 'production'));
  provide(container, TOKENS.admission, () => new Admission());
  provide(container, TOKENS.userConnections, () => new UserConnections(config.maxConnectionsPerUser));
  provide(container, TOKENS.metrics, (get) => {
    const database = get(TOKENS.database);
    return new ServerMetrics(get(TOKENS.hub), get(TOKENS.publisher), () => database.memoryBytes());
  });
  provide(container, TOKENS.httpHandler, (get) =>
    createHttpHandler({
      useCases: get(TOKENS.roomUseCases),
      stream: {
        subscriptions: {
          hub: get(TOKENS.hub),
          resumeRoom: get(TOKENS.resumeStream),
          presenceSynced: () => get(TOKENS.presence).synced(),
        },
        userConnections: get(TOKENS.userConnections),
        sendQueueLimitBytes: config.sendQueueLimitBytes,
        observer: get(TOKENS.metrics),
        logger,
      },
      tokens: get(TOKENS.tokenService),
      isDevMode: devMode.isOn,
      allowedOrigins: config.allowedOrigins,
      trustProxy: config.trustProxy,
      healthChecks: [new DatabaseHealth(get(TOKENS.database)), ...get(TOKENS.clusterHealth)],
      admission: get(TOKENS.admission),
      metrics: get(TOKENS.metrics),
      metricsToken: config.metricsToken,
      demoDir: devMode.servesDemo ? demoDir(logger) : undefined,
      restLimiter: new KeyedRateLimiter(config.restCallsLimit, get(TOKENS.rateLimitStore)),
      logger,
    }),
  );
}

/** The demo's bundle directory, with a warning when it has not been built. */
function demoDir(logger: Logger): string {
  if (!existsSync(`${DEMO_BUNDLE_DIR}index.html`)) {
    logger.warn({ dir: DEMO_BUNDLE_DIR }, 'the demo page is not built: run npm run build');
  }
  return DEMO_BUNDLE_DIR;
}
