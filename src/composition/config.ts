import { z } from 'zod';
import { optionalText, positiveInt } from './env-schema.js';
import { WEBHOOK_ENVIRONMENT, type WebhookSettings, hasSecretWithUrl, webhookSettings } from './webhook-config.js';

const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    DATA_DIR: z.string().min(1).default('./data'),
    REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only')
      .default('roomcast'),
    AUTH_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    ALLOWED_ORIGINS: optionalText,
    TRUST_PROXY: optionalText,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PING_INTERVAL_MS: positiveInt(25_000),
    SEND_QUEUE_LIMIT: positiveInt(1024 * 1024),
    MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(100),
    MAX_CONNECTIONS_PER_USER: positiveInt(20),
    WS_OPS_PER_SECOND: positiveInt(100),
    WS_OPS_BURST: positiveInt(200),
    REST_CALLS_PER_SECOND: positiveInt(100),
    REST_CALLS_BURST: positiveInt(200),
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(5_000),
    METRICS_TOKEN: optionalText,
    DEMO: optionalText.pipe(z.enum(['0', '1']).optional()),
    HISTORY_MAX_EVENTS: z.coerce.number().int().min(0).default(10_000),
    HISTORY_MAX_AGE: z.coerce.number().int().min(0).default(0),
    HISTORY_TRIM_INTERVAL_MS: positiveInt(30_000),
    IDEMPOTENCY_TTL: positiveInt(86_400),
    EMBEDDED_SHARED_BUFFERS: z
      .string()
      .regex(/^[1-9][0-9]*(kB|MB|GB)$/, 'must be a size such as 16MB')
      .default('16MB'),
    EMBEDDED_COMPILER: z.enum(['optimizing', 'baseline']).default('optimizing'),
    PRESENCE_DIFF_MS: positiveInt(250),
    PRESENCE_MAX_LISTED: z.coerce.number().int().min(0).default(100),
    PRESENCE_TTL_MS: positiveInt(15_000),
    ...WEBHOOK_ENVIRONMENT,
  })
  .refine((env) => env.NODE_ENV !== 'production' || env.AUTH_SECRET !== undefined, {
    message: 'is required when NODE_ENV=production',
    path: ['AUTH_SECRET'],
  })
  .refine(hasSecretWithUrl, { message: 'is required when WEBHOOK_URL is set', path: ['WEBHOOK_SECRET'] });

/** The server's settings, read once from the environment at start. */
export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  /** Unset: the embedded database under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Set: scale-out mode (pushes, presence and rate limits shared through Redis); unset: a single node. */
  readonly redisUrl: string | undefined;
  /** Every Redis key and channel starts with it, so that deployments can share one Redis. */
  readonly redisPrefix: string;
  /** Unset (outside production): development mode with a random secret and the token endpoint. */
  readonly authSecret: string | undefined;
  /** Exact origins, or `*`; undefined: no Origin check and no CORS headers. */
  readonly allowedOrigins: readonly string[] | undefined;
  /**
   * Which proxies to believe about the client's address (X-Forwarded-For), in express' terms: a
   * hop count ("1") or addresses ("loopback, 10.0.0.0/8"); undefined: none, the peer is the client.
   */
  readonly trustProxy: number | string | undefined;
  readonly logLevel: string;
  readonly pingIntervalMs: number;
  readonly sendQueueLimitBytes: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly maxConnectionsPerUser: number;
  readonly wsOpsLimit: { readonly perSecond: number; readonly burst: number };
  readonly restCallsLimit: { readonly perSecond: number; readonly burst: number };
  readonly shutdownTimeoutMs: number;
  /** How long shutdown answers 503 (so load balancers notice) before it closes the listener. */
  readonly shutdownDrainMs: number;
  /** When set, `/metrics` requires it as a bearer token; unset: open. */
  readonly metricsToken: string | undefined;
  /** DEMO=1: serve the demo page at `/`; DEMO=0: never; undefined: as development mode decides. */
  readonly demo: boolean | undefined;
  /** Events kept per room; undefined: all (HISTORY_MAX_EVENTS=0). */
  readonly historyMaxEvents: number | undefined;
  /** Seconds an event is kept; undefined: forever (HISTORY_MAX_AGE=0). */
  readonly historyMaxAgeSeconds: number | undefined;
  readonly historyTrimIntervalMs: number;
  /** Seconds an idempotency key is kept (IDEMPOTENCY_TTL); expired keys go with the next history trim. */
  readonly idempotencyTtlSeconds: number;
  /** The embedded database's page cache (PostgreSQL's shared_buffers), e.g. "16MB". */
  readonly embeddedSharedBuffers: string;
  /** `baseline`: the embedded database's WebAssembly is never optimised (less memory, slower). */
  readonly embeddedCompiler: 'optimizing' | 'baseline';
  /** How long a room gathers presence changes before its subscribers get one diff. */
  readonly presenceDiffMs: number;
  /** Above this many present users, presence frames carry the count alone. */
  readonly presenceMaxListed: number;
  /** Across nodes: a node silent this long is dead and its connections leave presence. */
  readonly presenceTtlMs: number;
  /** Set when WEBHOOK_URL is: where webhooks go, signed with what, which types, how retried. */
  readonly webhooks: WebhookSettings | undefined;
}

/** Thrown for a bad setting; its message is one line naming the variable. */
export class ConfigError extends Error {}

/** Validates the environment; throws `ConfigError` naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    authSecret: e.AUTH_SECRET,
    allowedOrigins: e.ALLOWED_ORIGINS?.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    trustProxy: e.TRUST_PROXY && /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    pingIntervalMs: e.PING_INTERVAL_MS,
    sendQueueLimitBytes: e.SEND_QUEUE_LIMIT,
    maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxConnectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
    wsOpsLimit: { perSecond: e.WS_OPS_PER_SECOND, burst: e.WS_OPS_BURST },
    restCallsLimit: { perSecond: e.REST_CALLS_PER_SECOND, burst: e.REST_CALLS_BURST },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    metricsToken: e.METRICS_TOKEN,
    demo: e.DEMO === undefined ? undefined : e.DEMO === '1',
    historyMaxEvents: e.HISTORY_MAX_EVENTS || undefined,
    historyMaxAgeSeconds: e.HISTORY_MAX_AGE || undefined,
    historyTrimIntervalMs: e.HISTORY_TRIM_INTERVAL_MS,
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL,
    embeddedSharedBuffers: e.EMBEDDED_SHARED_BUFFERS,
    embeddedCompiler: e.EMBEDDED_COMPILER,
    presenceDiffMs: e.PRESENCE_DIFF_MS,
    presenceMaxListed: e.PRESENCE_MAX_LISTED,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    webhooks: webhookSettings(e),
  };
}
