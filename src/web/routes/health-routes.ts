import { Router } from 'express';
import type { HealthCheck } from '../../domain/ports/health.js';
import type { Admission } from '../admission.js';
import { errorBody } from '../errors.js';

/** `/healthz` (the process lives) and `/readyz` (dependencies answer and the server is not stopping). */
export function healthRoutes(checks: readonly HealthCheck[], admission: Admission): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (!admission.isOpen) {
      res.status(503).json(errorBody('unavailable', 'server is shutting down'));
      return;
    }
    const results = await Promise.all(checks.map((check) => check.isHealthy()));
    const down = checks.filter((_check, index) => !results[index]).map((check) => check.name);
    if (down.length === 0) res.json({ status: 'ready' });
    else res.status(503).json(errorBody('unavailable', `not answering: ${down.join(', ')}`));
  });
  return router;
}
