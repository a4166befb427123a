import { Router } from 'express';
import type { Logger } from 'pino';
import type { HealthCheck } from '../../domain/ports/health.js';
import type { Admission } from '../admission.js';
import { errorBody } from '../errors.js';

/**
 * `/healthz` (the process lives) and `/readyz` (dependencies answer and the server is not
 * stopping). A change of what does not answer is logged once, when a probe first sees it.
 */
export function healthRoutes(checks: readonly HealthCheck[], admission: Admission, logger: Logger): Router {
  const router = Router();
  let lastDown = '';
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (!admission.isOpen) {
      res.status(503).json(errorBody('unavailable', 'server is shutting down'));
      return;
    }
    const results = await Promise.all(checks.map((check) => check.isHealthy()));
    const down = checks
      .filter((_check, index) => !results[index])
      .map((check) => check.name)
      .join(', ');
    if (down !== lastDown) {
      if (down) logger.warn({ down }, 'not ready: dependencies not answering');
      else logger.info('ready again: every dependency answers');
      lastDown = down;
    }
    if (!down) res.json({ status: 'ready' });
    else res.status(503).json(errorBody('unavailable', `not answering: ${down}`));
  });
  return router;
}
