import { z } from 'zod';

/** Field rules shared by REST and WebSocket input. */
export const roomIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$');
/** The path parameters of a room's routes. */
export const roomPathSchema = z.object({ room: roomIdSchema });
export const eventTypeSchema = z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'must match ^[a-z][a-z0-9_.-]{0,63}$');
/** PostgreSQL text holds neither NUL nor a lone surrogate (stored as U+FFFD, it would name another user). */
export const isStorableText = (text: string) => !/[\u0000\p{Cs}]/u.test(text);
export const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .refine(isStorableText, 'must not contain NUL characters or lone surrogates');
export const displayNameSchema = z
  .string()
  .min(1)
  .max(100)
  .refine((name) => !name.includes('\u0000'), 'must not contain NUL characters')
  // A lone surrogate cannot be encoded in UTF-8: the database would store U+FFFD in its place.
  .refine((name) => !/\p{Cs}/u.test(name), 'must not contain lone surrogates');
export const capacitySchema = z.number().int().min(1).max(100_000);
/** `data` is required and may be any JSON value, `null` included. */
export const eventDataSchema = z.custom<unknown>((data) => data !== undefined, {
  message: 'is required',
  params: { isMissingField: true },
});
/** An idempotency key: 1 to 255 visible ASCII characters, as the `Idempotency-Key` header takes them. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters (no spaces)');
export const typeFilterSchema = z.array(eventTypeSchema).max(100);
