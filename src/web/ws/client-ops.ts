import { z } from 'zod';
import { eventDataSchema, eventTypeSchema, idempotencyKeySchema, roomIdSchema, typeFilterSchema } from '../schemas.js';
import type { FrameId } from './codec.js';

const frameIdSchema = z.union([z.string().max(128), z.number()]).optional();

const opSchemas = {
  join: z.object({
    room: roomIdSchema,
    since: z.number().int().min(0).optional(),
    epoch: z.string().max(128).optional(),
    types: typeFilterSchema.nullable().optional(),
    presence: z.boolean().optional(),
  }),
  unsubscribe: z.object({ room: roomIdSchema }),
  leave: z.object({ room: roomIdSchema }),
  filter: z.object({ room: roomIdSchema, types: typeFilterSchema.nullable() }),
  publish: z.object({
    room: roomIdSchema,
    type: eventTypeSchema,
    data: eventDataSchema,
    idempotencyKey: idempotencyKeySchema.optional(),
  }),
};

/** A client frame that passed validation. */
export type ClientOp = {
  [Op in keyof typeof opSchemas]: { op: Op } & z.output<(typeof opSchemas)[Op]>;
}[keyof typeof opSchemas];

/** Why a frame was refused, as a protocol error code and message. */
export interface FrameProblem {
  readonly id: FrameId;
  readonly code: 'invalid_message' | 'invalid_request' | 'unknown_op';
  readonly message: string;
}

// A wrong JSON type or a missing field is a malformed message; a right type with a value the
// rules refuse (pattern, range, length) is an unacceptable request.
const SHAPE_ISSUES = new Set(['invalid_type', 'invalid_union', 'invalid_key', 'unrecognized_keys', 'invalid_value']);

/** Parses one text frame into an op, or says exactly what is wrong with it. */
export function parseClientFrame(text: string): { op: ClientOp; id: FrameId } | { problem: FrameProblem } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: { id: undefined, code: 'invalid_message', message: 'frame is not valid JSON' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: { id: undefined, code: 'invalid_message', message: 'frame must be a JSON object' } };
  }
  const record = value as Record<string, unknown>;
  const idResult = frameIdSchema.safeParse(record.id);
  if (!idResult.success) {
    return {
      problem: { id: undefined, code: 'invalid_message', message: 'id: must be a string (up to 128) or a number' },
    };
  }
  const id = idResult.data;
  if (typeof record.op !== 'string') {
    return { problem: { id, code: 'invalid_message', message: 'op: must be a string' } };
  }
  if (!Object.hasOwn(opSchemas, record.op)) {
    return { problem: { id, code: 'unknown_op', message: `op: '${record.op.slice(0, 64)}' is not an op` } };
  }
  const op = record.op as keyof typeof opSchemas;
  const result = opSchemas[op].safeParse(record);
  if (result.success) return { op: { op, ...result.data } as ClientOp, id };
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.') || 'frame';
  const isShapeIssue =
    (SHAPE_ISSUES.has(issue.code) && !(issue.code === 'invalid_type' && issue.expected === 'int')) ||
    (issue.code === 'custom' && issue.params?.isMissingField === true);
  const code = isShapeIssue ? 'invalid_message' : 'invalid_request';
  return { problem: { id, code, message: `${field}: ${issue.message}` } };
}
