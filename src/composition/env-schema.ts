import { z } from 'zod';

/** A whole number above zero, with its default. */
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A text setting; empty counts as not set. */
export const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
