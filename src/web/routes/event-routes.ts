import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { currentUser } from '../auth/bearer.js';
import { eventJson } from '../event-json.js';
import { roomPathSchema } from '../schemas.js';
import { parseOrThrow } from '../validation.js';
import type { PublishRoute } from './publish-routes.js';
import type { RoomUseCases } from './room-use-cases.js';

const eventsQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** REST calls that publish and read events under /v1; `guard` (authentication and rate limit) runs before each. */
export function eventRoutes(
  useCases: Pick<RoomUseCases, 'listEvents'>,
  publishing: readonly PublishRoute[],
  guard: RequestHandler,
): Router {
  const router = Router();

  for (const route of publishing) {
    router.post(route.path, guard, (req, res) => route.handle(req, res, req.params as Record<string, string>));
  }

  router.get('/rooms/:room/events', guard, async (req, res) => {
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    const query = parseOrThrow(eventsQuery, req.query, 'query');
    const window = await useCases.listEvents.execute(currentUser(res), room, query.after, query.limit);
    res.json({ items: window.items.map(eventJson), firstSeq: window.firstSeq });
  });

  return router;
}
