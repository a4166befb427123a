import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { HealthCheck } from '../domain/ports/health.js';
import type { Admission } from './admission.js';
import { authenticate } from './auth/bearer.js';
import type { TokenService } from './auth/token-service.js';
import { ApiError, errorHandler, notFound } from './errors.js';
import { demoRoutes } from './routes/demo-routes.js';
import { devTokenRoutes } from './routes/dev-token-routes.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import { jsonBody } from './json-body.js';
import { limitCalls } from './rate-limit-middleware.js';
import { requestLog } from './request-log.js';
import type { KeyedRateLimiter } from './rate-limiter.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { BATCH_PUBLISH_PATH, eventRoutes } from './routes/event-routes.js';
import { roomRoutes } from './routes/room-routes.js';
import type { RoomUseCases } from './routes/room-use-cases.js';

/** Room event data may be 64 KiB; the rest of a body needs far less than this margin. */
const BODY_LIMIT_BYTES = 80 * 1024;
/** A batch of events (`POST /v1/events`) may be larger; each event's data is still held to 64 KiB. */
const BATCH_BODY_LIMIT_BYTES = 1024 * 1024;

/** Everything the HTTP side needs, handed in by the composition root. */
export interface HttpAppDeps {
  readonly useCases: RoomUseCases;
  readonly tokens: TokenService;
  /** Development mode: serve `POST /v1/dev/tokens`. */
  readonly isDevMode: boolean;
  readonly allowedOrigins: readonly string[] | undefined;
  /** Proxies whose X-Forwarded-For is believed (express' `trust proxy`); undefined: none. */
  readonly trustProxy: number | string | undefined;
  readonly healthChecks: readonly HealthCheck[];
  /** Closed at shutdown: new requests are refused with 503 from then on. */
  readonly admission: Admission;
  readonly metrics: ServerMetrics;
  /** REST calls per user (per IP where there is no user). */
  readonly restLimiter: KeyedRateLimiter;
  /** When set, `/metrics` requires it as a bearer token. */
  readonly metricsToken: string | undefined;
  /** The built demo page, served at `/`; undefined: no demo. */
  readonly demoDir: string | undefined;
  readonly logger: Logger;
}

/** The express application: REST under /v1, health endpoints, one JSON error shape for everything. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Answers are small JSON documents made for one request: hashing each for an ETag costs more than it saves.
  app.set('etag', false);
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  app.use(helmet());
  app.set('query parser', 'simple');
  app.use(deps.metrics.timeRequests());
  app.use(requestLog(deps.logger));
  if (deps.allowedOrigins) {
    const origins = deps.allowedOrigins;
    app.use(
      cors({ origin: origins.includes('*') ? '*' : [...origins], exposedHeaders: ['X-Request-Id', 'Retry-After'] }),
    );
  }
  app.use(healthRoutes(deps.healthChecks, deps.admission, deps.logger));
  app.use(metricsRoutes(deps.metrics.registry, deps.metricsToken));
  app.use((_req, _res, next) => {
    if (!deps.admission.isOpen) throw new ApiError('unavailable', 'server is shutting down');
    next();
  });
  app.use(`/v1${BATCH_PUBLISH_PATH}`, jsonBody(BATCH_BODY_LIMIT_BYTES));
  app.use(jsonBody(BODY_LIMIT_BYTES));
  if (deps.isDevMode) {
    app.use(
      '/v1',
      limitCalls(deps.restLimiter, (req) => `ip:${req.ip}`),
      devTokenRoutes(deps.tokens),
    );
  }
  const guard = authenticate(deps.tokens, deps.restLimiter);
  app.use('/v1', roomRoutes(deps.useCases, guard), eventRoutes(deps.useCases, guard));
  if (deps.demoDir) app.use(demoRoutes(deps.demoDir));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
