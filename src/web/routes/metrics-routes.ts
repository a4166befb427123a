import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import { bearerToken } from '../auth/bearer.js';
import { ApiError } from '../errors.js';

/** `GET /metrics` in the Prometheus text format; with `metricsToken` set, only for that bearer token. */
export function metricsRoutes(registry: Registry, metricsToken: string | undefined): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (metricsToken !== undefined && !isSameSecret(bearerToken(req.headers.authorization), metricsToken)) {
      throw new ApiError('unauthenticated', 'metrics need the METRICS_TOKEN bearer token');
    }
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

function isSameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
