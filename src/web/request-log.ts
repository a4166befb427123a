import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';
import type { HttpStep } from './http-step.js';
import { contextOf } from './request-context.js';

/** The id given to a request: sent back in `X-Request-Id` and carried by its log lines. */
export function requestIdOf(res: ServerResponse): string | undefined {
  return contextOf(res).id;
}

/**
 * Gives each request an id (`X-Request-Id`) and logs one line when it ends: successful ones at
 * debug (at info they would be most of a busy server's log), refusals (4xx, 503) at info,
 * failures at error. Nothing is built for a line whose level is off, so the common case costs
 * an id and a listener.
 */
export function requestLog(logger: Logger): HttpStep {
  return (req, res, next) => {
    const id = randomUUID();
    contextOf(res).id = id;
    res.setHeader('X-Request-Id', id);
    const url = req.url;
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const level = levelOf(res.statusCode);
      if (!logger.isLevelEnabled(level)) return;
      const responseTime = Number(process.hrtime.bigint() - started) / 1e6;
      logger[level](
        { req: describe(req, id, url), res: { statusCode: res.statusCode }, responseTime },
        'request completed',
      );
    });
    next();
  };
}

function levelOf(status: number): Level {
  // 503 is a refusal, not a failure: the server is stopping or a dependency is down, which is
  // logged once when it happens; a line per readiness probe at error would bury that line.
  if (status >= 500 && status !== 503) return 'error';
  return status >= 400 ? 'info' : 'debug';
}

function describe(
  req: IncomingMessage,
  id: string,
  url: string | undefined,
): { id: string; method: string; url: string } {
  return { id, method: req.method ?? '', url: url ?? '' };
}
