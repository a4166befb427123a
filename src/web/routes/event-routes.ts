import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { MAX_BATCH_ITEMS } from '../../domain/room-event.js';
import { currentUser } from '../auth/bearer.js';
import { eventJson } from '../event-json.js';
import { eventDataSchema, eventTypeSchema, roomIdSchema, roomPathSchema } from '../schemas.js';
import { parseOrThrow } from '../validation.js';
import type { RoomUseCases } from './room-use-cases.js';

const publishBody = z.object({ type: eventTypeSchema, data: eventDataSchema });
const batchBody = z.object({
  events: z
    .array(z.object({ room: roomIdSchema, type: eventTypeSchema, data: eventDataSchema }))
    .min(1)
    .max(MAX_BATCH_ITEMS),
});
const eventsQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The batch publish route, under /v1 like the others: its body may be larger. */
export const BATCH_PUBLISH_PATH = '/events';

/** REST calls that publish and read events under /v1; `guard` (authentication and rate limit) runs before each. */
export function eventRoutes(
  useCases: Pick<RoomUseCases, 'publishEvent' | 'publishEventBatch' | 'listEvents'>,
  guard: RequestHandler,
): Router {
  const router = Router();

  router.post('/rooms/:room/events', guard, async (req, res) => {
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    const body = parseOrThrow(publishBody, req.body, 'body');
    res.status(201).json(eventJson(await useCases.publishEvent.execute(currentUser(res), room, body.type, body.data)));
  });

  router.post(BATCH_PUBLISH_PATH, guard, async (req, res) => {
    const { events } = parseOrThrow(batchBody, req.body, 'body');
    const stored = await useCases.publishEventBatch.execute(currentUser(res), events);
    res.status(201).json({ items: stored.map(eventJson) });
  });

  router.get('/rooms/:room/events', guard, async (req, res) => {
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    const query = parseOrThrow(eventsQuery, req.query, 'query');
    const window = await useCases.listEvents.execute(currentUser(res), room, query.after, query.limit);
    res.json({ items: window.items.map(eventJson), firstSeq: window.firstSeq });
  });

  return router;
}
