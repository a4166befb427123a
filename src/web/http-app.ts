import type { RequestListener } from 'node:http';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { HealthCheck } from '../domain/ports/health.js';
import type { Admission } from './admission.js';
import { authenticate } from './auth/bearer.js';
import type { TokenService } from './auth/token-service.js';
import { ApiError, errorHandler, notFound } from './errors.js';
import type { HttpStep } from './http-step.js';
import { jsonBody } from './json-body.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import { publishFastPath } from './publish-fast-path.js';
import { limitCalls } from './rate-limit-middleware.js';
import type { KeyedRateLimiter } from './rate-limiter.js';
import { requestLog } from './request-log.js';
import { demoRoutes } from './routes/demo-routes.js';
import { devTokenRoutes } from './routes/dev-token-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { BATCH_BODY_LIMIT_BYTES, BODY_LIMIT_BYTES, type PublishRoute, publishRoutes } from './routes/publish-routes.js';
import { roomRoutes } from './routes/room-routes.js';
import type { RoomUseCases } from './routes/room-use-cases.js';
import { type StreamRouteDeps, streamRoutes } from './sse/stream-routes.js';

/** Everything the HTTP side needs, handed in by the composition root. */
export interface HttpAppDeps {
  readonly useCases: RoomUseCases;
  /** What the event-stream route shares with the WebSocket side: the Hub, connection counts, metrics. */
  readonly stream: StreamRouteDeps;
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

/**
 * The HTTP side: REST and event streams under /v1, health endpoints, one JSON error shape for everything. The
 * publish routes are served by the fast path, everything else by express, through the same
 * steps (security headers, metrics, request log, CORS, admission, body, authentication).
 */
export function createHttpHandler(deps: HttpAppDeps): RequestListener {
  const steps = sharedSteps(deps);
  const bodyFor = (limit: number) => (limit === BATCH_BODY_LIMIT_BYTES ? steps.batchBody : steps.body);
  const publishing = publishRoutes(deps.useCases);
  const app = express();
  app.disable('x-powered-by');
  // Answers are small JSON documents made for one request: hashing each for an ETag costs more than it saves.
  app.set('etag', false);
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  app.set('query parser', 'simple');
  app.use(...steps.front);
  app.use(healthRoutes(deps.healthChecks, deps.admission, deps.logger));
  app.use(metricsRoutes(deps.metrics.registry, deps.metricsToken));
  app.use(steps.admit);
  // A route with a larger body limit reads its body first; the default reader leaves a read body alone.
  for (const route of publishing.filter((candidate) => candidate.bodyLimitBytes !== BODY_LIMIT_BYTES)) {
    app.use(`/v1${route.path}`, bodyFor(route.bodyLimitBytes));
  }
  app.use(steps.body);
  if (deps.isDevMode)
    app.use(
      '/v1',
      devTokenRoutes(
        deps.tokens,
        limitCalls(deps.restLimiter, (req) => `ip:${req.ip}`),
      ),
    );
  app.use(
    '/v1',
    roomRoutes(deps.useCases, steps.guard),
    eventRoutes(deps.useCases, publishing, steps.guard),
    streamRoutes(deps.stream, steps.guard),
  );
  if (deps.demoDir) app.use(demoRoutes(deps.demoDir));
  app.use(notFound);
  app.use(steps.respondToError);
  const fastPath = publishFastPath(
    publishing,
    (route: PublishRoute) => [...steps.front, steps.admit, bodyFor(route.bodyLimitBytes), steps.guard],
    steps.respondToError,
  );
  return (req, res) => {
    if (!fastPath(req, res)) app(req, res);
  };
}

/** The steps both servers run, each made once. */
function sharedSteps(deps: HttpAppDeps) {
  const front: HttpStep[] = [helmet(), deps.metrics.timeRequests(), requestLog(deps.logger)];
  if (deps.allowedOrigins) {
    const origins = deps.allowedOrigins;
    front.push(
      cors({ origin: origins.includes('*') ? '*' : [...origins], exposedHeaders: ['X-Request-Id', 'Retry-After'] }),
    );
  }
  const admit: HttpStep = (_req, _res, next) => {
    if (!deps.admission.isOpen) throw new ApiError('unavailable', 'server is shutting down');
    next();
  };
  return {
    front,
    admit,
    body: jsonBody(BODY_LIMIT_BYTES),
    batchBody: jsonBody(BATCH_BODY_LIMIT_BYTES),
    guard: authenticate(deps.tokens, deps.restLimiter),
    respondToError: errorHandler(deps.logger),
  };
}
