import type { ServerResponse } from 'node:http';
import { type Request, type RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { currentUser } from '../auth/bearer.js';
import { ApiError } from '../errors.js';
import { CloseCode } from '../hub/close-codes.js';
import {
  type SubscriptionRequest,
  type SubscriptionStartDeps,
  startSubscription,
  typeSet,
} from '../hub/subscription-start.js';
import type { ConnectionObserver } from '../metrics/server-metrics.js';
import { contextOf } from '../request-context.js';
import { roomPathSchema, typeFilterSchema } from '../schemas.js';
import type { UserConnections } from '../user-connections.js';
import { parseOrThrow } from '../validation.js';
import { SseClient } from './sse-client.js';

/** What the stream route needs from the composition root. */
export interface StreamRouteDeps {
  /** The Hub, and a `resumeRoom` that requires membership (a stream never makes a member). */
  readonly subscriptions: SubscriptionStartDeps;
  /** Counted with the user's WebSocket connections against one limit. */
  readonly userConnections: UserConnections;
  readonly sendQueueLimitBytes: number;
  readonly observer: ConnectionObserver;
  readonly logger: Logger;
}

const seqSchema = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a seq (a whole number, 0 or more)')
  .transform(Number);
const streamQuery = z.object({
  since: seqSchema.optional(),
  epoch: z.string().min(1).max(128).optional(),
  types: z
    .string()
    .transform((types) => types.split(','))
    .pipe(typeFilterSchema)
    .optional(),
  presence: z.enum(['true', 'false']).optional(),
});

/**
 * `GET /v1/rooms/:room/stream`: a room as Server-Sent Events, for members and services. Every
 * refusal (token, access, query, connection limit) is a JSON error before the stream begins;
 * `guard` (authentication and rate limit) runs before it.
 */
export function streamRoutes(deps: StreamRouteDeps, guard: RequestHandler): Router {
  const router = Router();
  router.get('/rooms/:room/stream', refuseTokenInUrl, guard, async (req, res) => {
    // express serves HEAD from a GET route: a stream has no head to give without its body.
    if (req.method !== 'GET') throw new ApiError('not_found', `no route for ${req.method} ${req.path}`);
    if (!req.accepts('text/event-stream')) {
      throw new ApiError('not_acceptable', 'Accept: this route answers text/event-stream only');
    }
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    const query = parseOrThrow(streamQuery, req.query, 'query');
    const request: SubscriptionRequest = {
      room,
      // On a reconnect the standard header says where the reader stopped, whatever the URL says.
      since: lastEventId(req) ?? query.since,
      epoch: query.epoch,
      types: typeSet(query.types),
      wantsPresence: query.presence !== 'false',
    };
    await stream(deps, res, request);
  });
  return router;
}

/** Opens the stream: counted against the user's connections, held in the Hub, started once the room is read. */
async function stream(deps: StreamRouteDeps, res: ServerResponse, request: SubscriptionRequest): Promise<void> {
  const { userConnections, observer, logger, subscriptions } = deps;
  const { hub } = subscriptions;
  const user = currentUser(res);
  const log = { userId: user.id, room: request.room };
  if (!userConnections.hasRoomFor(user.id)) {
    throw new ApiError('rate_limited', userConnections.refusal);
  }
  userConnections.opened(user.id);
  res.on('error', (error) => logger.debug({ err: error, ...log }, 'stream error'));
  const client = new SseClient(res, user, deps.sendQueueLimitBytes, contextOf(res).tokenExpiresAtMs, {
    started: () => {
      observer.connectionOpened('sse');
      logger.info(log, 'stream opened');
    },
    closed: (ended, end) => {
      userConnections.closed(user.id);
      hub.unregister(ended);
      if (!ended.isStarted) return;
      observer.connectionEnded(end, 'sse');
      logger.info({ ...log, end }, 'stream closed');
    },
    closingAsSlowConsumer: (pendingBytes) => logger.warn({ ...log, pendingBytes }, 'slow consumer: closing with 1013'),
  });
  hub.register(client);
  try {
    await startSubscription(subscriptions, client, request, {
      announce: (announcement) => client.start(announcement),
      failed: (error) => {
        logger.error({ err: error, ...log }, 'stream replay failed; closing the stream');
        client.close(CloseCode.InternalError, 'internal error');
      },
    });
  } catch (error) {
    // Refused before it began: the error body answers the request, and the Hub forgets the client now.
    hub.unregister(client);
    throw error;
  }
}

/** A token in the URL ends up in logs: refused before anything else is looked at, as on the WebSocket. */
const refuseTokenInUrl: RequestHandler = (req, _res, next) => {
  if (Object.hasOwn(req.query, 'token')) {
    throw new ApiError('unauthenticated', 'tokens are not accepted in the URL; use the Authorization header');
  }
  next();
};

/** The seq in `Last-Event-ID`, which overrides `since`; undefined when the header is absent or empty. */
function lastEventId(req: Request): number | undefined {
  const header = req.get('last-event-id')?.trim();
  if (!header) return undefined;
  return parseOrThrow(seqSchema, header, 'Last-Event-ID');
}
