import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { type AppendedEvent, MAX_BATCH_ITEMS } from '../../domain/room-event.js';
import { currentUser } from '../auth/bearer.js';
import { eventJsonText } from '../event-json.js';
import { type HttpRequest, sendJsonText } from '../http-step.js';
import { eventDataSchema, eventTypeSchema, idempotencyKeySchema, roomIdSchema, roomPathSchema } from '../schemas.js';
import { parseOrThrow } from '../validation.js';
import type { RoomUseCases } from './room-use-cases.js';

/** Room event data may be 64 KiB; the rest of a body needs far less than this margin. */
export const BODY_LIMIT_BYTES = 80 * 1024;
/** A batch of events may be larger; each event's data is still held to 64 KiB. */
export const BATCH_BODY_LIMIT_BYTES = 1024 * 1024;

const publishBody = z.object({ type: eventTypeSchema, data: eventDataSchema });
const batchBody = z.object({
  events: z
    .array(
      z.object({
        room: roomIdSchema,
        type: eventTypeSchema,
        data: eventDataSchema,
        idempotencyKey: idempotencyKeySchema.optional(),
      }),
    )
    .min(1)
    .max(MAX_BATCH_ITEMS),
});

/**
 * A route that publishes, defined once: express mounts it under /v1, and the fast path serves
 * the same route, behind the same steps, without express's router.
 */
export interface PublishRoute {
  /** The pattern under /v1, as express mounts it and the metrics name it. */
  readonly path: string;
  readonly bodyLimitBytes: number;
  /** The path parameters of a canonical request path (under /v1, no trailing slash, nothing escaped); undefined: not this route. */
  match(path: string): Record<string, string> | undefined;
  handle(req: HttpRequest, res: ServerResponse, params: Record<string, string>): Promise<void>;
}

const ONE_EVENT_PATH = /^\/rooms\/([a-z0-9][a-z0-9_-]{0,63})\/events$/;

/** `POST /v1/rooms/:room/events` and `POST /v1/events`. */
export function publishRoutes(useCases: Pick<RoomUseCases, 'publishEvent' | 'publishEventBatch'>): PublishRoute[] {
  const one: PublishRoute = {
    path: '/rooms/:room/events',
    bodyLimitBytes: BODY_LIMIT_BYTES,
    match: (path) => {
      const room = ONE_EVENT_PATH.exec(path)?.[1];
      return room === undefined ? undefined : { room };
    },
    async handle(req, res, params) {
      const { room } = parseOrThrow(roomPathSchema, params, 'path');
      const body = parseOrThrow(publishBody, req.body, 'body');
      const header = req.headers['idempotency-key'];
      const key =
        header === undefined ? undefined : parseOrThrow(idempotencyKeySchema, header, 'header.Idempotency-Key');
      const event = await useCases.publishEvent.execute(currentUser(res), room, body.type, body.data, key);
      sendPublished(res, [event], eventJsonText(event));
    },
  };
  const batch: PublishRoute = {
    path: '/events',
    bodyLimitBytes: BATCH_BODY_LIMIT_BYTES,
    match: (path) => (path === '/events' ? {} : undefined),
    async handle(req, res) {
      const { events } = parseOrThrow(batchBody, req.body, 'body');
      const stored = await useCases.publishEventBatch.execute(currentUser(res), events);
      sendPublished(res, stored, `{"items":[${stored.map(eventJsonText).join(',')}]}`);
    },
  };
  return [one, batch];
}

/** 201 when anything was stored; 200 with `Idempotent-Replayed: true` when every event is an original answered again. */
function sendPublished(res: ServerResponse, events: readonly AppendedEvent[], text: string): void {
  const isReplay = events.every((event) => event.replayed);
  if (isReplay) res.setHeader('Idempotent-Replayed', 'true');
  sendJsonText(res, isReplay ? 200 : 201, text);
}
