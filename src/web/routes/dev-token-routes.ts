import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { TokenService } from '../auth/token-service.js';
import { displayNameSchema, userIdSchema } from '../schemas.js';
import { parseOrThrow } from '../validation.js';

const DEV_TOKEN_TTL_SECONDS = 24 * 60 * 60;

const devTokenBody = z.object({
  userId: userIdSchema,
  name: displayNameSchema.optional(),
});

/** Development mode only: `POST /v1/dev/tokens` hands out a 24-hour token for any user id, within `perIpLimit`. */
export function devTokenRoutes(tokens: TokenService, perIpLimit: RequestHandler): Router {
  const router = Router();
  router.post('/dev/tokens', perIpLimit, async (req, res) => {
    const { userId, name } = parseOrThrow(devTokenBody, req.body, 'body');
    res.status(201).json({ token: await tokens.issue(userId, name ?? userId, DEV_TOKEN_TTL_SECONDS) });
  });
  return router;
}
