import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { Member } from '../../domain/member.js';
import type { Room } from '../../domain/room.js';
import { currentUser } from '../auth/bearer.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { capacitySchema, displayNameSchema, roomIdSchema, roomPathSchema } from '../schemas.js';
import { parseOrThrow } from '../validation.js';
import type { RoomUseCases } from './room-use-cases.js';

const createRoomBody = z.object({
  id: roomIdSchema.optional(),
  name: displayNameSchema,
  capacity: capacitySchema.optional(),
});
const pageQuery = (max: number, fallback: number) =>
  z.object({ limit: z.coerce.number().int().min(1).max(max).default(fallback), cursor: z.string().optional() });
const roomPageQuery = pageQuery(200, 50);
const memberPageQuery = pageQuery(200, 50);

/** REST calls of rooms, members and presence under /v1; `guard` (authentication and rate limit) runs before each, so unknown routes stay 404 without a token. */
export function roomRoutes(useCases: RoomUseCases, guard: RequestHandler): Router {
  const router = Router();

  router.post('/rooms', guard, async (req, res) => {
    const body = parseOrThrow(createRoomBody, req.body, 'body');
    res.status(201).json(roomJson(await useCases.createRoom.execute(currentUser(res), body)));
  });

  router.get('/rooms', guard, async (req, res) => {
    const query = parseOrThrow(roomPageQuery, req.query, 'query');
    const page = await useCases.listRooms.execute({ limit: query.limit, afterKey: decodeCursor(query.cursor) });
    res.json({ items: page.items.map(roomJson), nextCursor: encodeCursor(page.nextKey) });
  });

  router.get('/rooms/:room', guard, async (req, res) => {
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    res.json(roomJson(await useCases.getRoom.execute(room)));
  });

  router.put('/rooms/:room/members/me', guard, async (req, res) => {
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    const result = await useCases.joinRoom.execute(currentUser(res), room);
    res.status(result.joined ? 201 : 200).json(roomJson(result.room));
  });

  router.delete('/rooms/:room/members/me', guard, async (req, res) => {
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    await useCases.leaveRoom.execute(currentUser(res), room);
    res.status(204).end();
  });

  router.get('/rooms/:room/members', guard, async (req, res) => {
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    const query = parseOrThrow(memberPageQuery, req.query, 'query');
    const page = await useCases.listMembers.execute(currentUser(res), room, {
      limit: query.limit,
      afterKey: decodeCursor(query.cursor),
    });
    res.json({ items: page.items.map(memberJson), nextCursor: encodeCursor(page.nextKey) });
  });

  router.get('/rooms/:room/presence', guard, async (req, res) => {
    const { room } = parseOrThrow(roomPathSchema, req.params, 'path');
    res.json({ items: await useCases.getPresence.execute(currentUser(res), room) });
  });

  return router;
}

function roomJson(room: Room) {
  return {
    id: room.id,
    name: room.name,
    capacity: room.capacity,
    lastSeq: room.lastSeq,
    epoch: room.epoch,
    createdAt: room.createdAt.toISOString(),
    memberCount: room.memberCount,
  };
}

function memberJson(member: Member) {
  return { userId: member.userId, name: member.name, joinedAt: member.joinedAt.toISOString() };
}
