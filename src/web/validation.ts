import type { z } from 'zod';
import { ApiError } from './errors.js';

/** Parses `value` or throws `invalid_request` naming the first failing field under `where`. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join('.');
  throw new ApiError('invalid_request', `${field}: ${issue?.message ?? 'invalid'}`);
}
