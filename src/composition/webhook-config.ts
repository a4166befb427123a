import { z } from 'zod';
import { WebhookTypes } from '../domain/webhook.js';
import { optionalText, positiveInt } from './env-schema.js';

/** How webhooks are sent, when WEBHOOK_URL is set. */
export interface WebhookSettings {
  readonly url: string;
  /** `whsec_` + the base64 key (Standard Webhooks); never logged. */
  readonly secret: string;
  readonly types: WebhookTypes;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
}

const STANDARD_WEBHOOKS_SECRET = /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The Standard Webhooks specification's key sizes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/** The webhook settings' part of the environment schema. */
export const WEBHOOK_ENVIRONMENT = {
  WEBHOOK_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  WEBHOOK_SECRET: optionalText.pipe(
    z
      .string()
      .regex(STANDARD_WEBHOOKS_SECRET, "must be 'whsec_' followed by a base64 key")
      .refine((secret) => {
        const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
        return bytes >= MIN_KEY_BYTES && bytes <= MAX_KEY_BYTES;
      }, `the key must be ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes`)
      .optional(),
  ),
  WEBHOOK_EVENTS: z
    .string()
    .default('room.*,member.*')
    .transform((list, context) => {
      try {
        return WebhookTypes.parse(list);
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(10),
  WEBHOOK_RETRY_BASE_MS: positiveInt(5_000),
};

type WebhookEnvironment = z.infer<z.ZodObject<typeof WEBHOOK_ENVIRONMENT>>;

/** A URL without a secret would send unsigned webhooks: refused at start. */
export function hasSecretWithUrl(env: WebhookEnvironment): boolean {
  return env.WEBHOOK_URL === undefined || env.WEBHOOK_SECRET !== undefined;
}

/** The settings, or undefined when webhooks are off (no WEBHOOK_URL). */
export function webhookSettings(env: WebhookEnvironment): WebhookSettings | undefined {
  if (env.WEBHOOK_URL === undefined || env.WEBHOOK_SECRET === undefined) return undefined;
  return {
    url: env.WEBHOOK_URL,
    secret: env.WEBHOOK_SECRET,
    types: env.WEBHOOK_EVENTS,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
  };
}
