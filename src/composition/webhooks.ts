import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { PgOccupancyLedger } from '../database/pg-occupancy-ledger.js';
import { PgWebhookOutbox } from '../database/pg-webhook-outbox.js';
import { ROOM_OCCUPIED, ROOM_VACATED, type WebhookMessage } from '../domain/webhook.js';
import { RetryPolicy } from '../domain/webhook-retry.js';
import { DeliverWebhooks, type DeliveryReport } from '../usecase/deliver-webhooks.js';
import { RoomOccupancy } from '../usecase/room-occupancy.js';
import { WebhookMetrics } from '../web/metrics/webhook-metrics.js';
import { HttpWebhookSender } from '../web/webhooks/http-webhook-sender.js';
import type { Config } from './config.js';
import { TOKENS, provide } from './tokens.js';

/** Attempts in flight at most, each for another room: this many slow rooms at once delay the others. */
const DELIVERY_CONCURRENCY = 16;
/** While idle, the outbox is asked for due messages this often (a finished attempt asks at once). */
const POLL_MS = 250;
/** A claim outlasts an attempt's timeout by this much, so no other node takes a message still being attempted. */
const LEASE_MARGIN_MS = 5_000;
/** Rooms whose occupancy is settled at once: each settlement holds one of the pool's connections. */
const OCCUPANCY_CONCURRENCY = 2;
/** A room whose occupancy could not be settled is tried again after this long. */
const OCCUPANCY_RETRY_MS = 1_000;

/** The outbox (whose settings every node writes at start), and with WEBHOOK_URL its delivery and the rooms' occupancy. */
export function registerWebhooks(container: DependencyContainer, config: Config, logger: Logger): void {
  provide(container, TOKENS.webhookOutbox, (get) => new PgWebhookOutbox(get(TOKENS.database)));
  const settings = config.webhooks;
  if (!settings) return;
  provide(container, TOKENS.webhookDelivery, (get) => {
    const outbox = get(TOKENS.webhookOutbox);
    const metrics = new WebhookMetrics(get(TOKENS.metrics).registry, () => outbox.depth());
    return new DeliverWebhooks(
      outbox,
      new HttpWebhookSender(settings.url, settings.secret, settings.timeoutMs),
      {
        concurrency: DELIVERY_CONCURRENCY,
        pollMs: POLL_MS,
        leaseMs: settings.timeoutMs + LEASE_MARGIN_MS,
        retry: new RetryPolicy(settings.maxAttempts, settings.retryBaseMs),
      },
      deliveryReport(metrics, logger),
    );
  });
  if (!settings.types.includes(ROOM_OCCUPIED) && !settings.types.includes(ROOM_VACATED)) return;
  provide(
    container,
    TOKENS.roomOccupancy,
    (get) =>
      new RoomOccupancy(get(TOKENS.presence), new PgOccupancyLedger(get(TOKENS.database), settings.types), {
        concurrency: OCCUPANCY_CONCURRENCY,
        retryMs: OCCUPANCY_RETRY_MS,
        reportError: (error, room) =>
          logger.warn(
            { err: error, room, retryMs: OCCUPANCY_RETRY_MS },
            "settling rooms' occupancy failed; retrying each room",
          ),
      }),
  );
}

/** Metrics for every outcome, and a log line for each failed attempt and each drop (never the secret or a signature). */
function deliveryReport(metrics: WebhookMetrics, logger: Logger): DeliveryReport {
  const about = (message: WebhookMessage) => ({
    room: message.room,
    type: message.type,
    webhookId: message.id,
    attempt: message.attempts,
  });
  return {
    delivered: (message) => metrics.delivered(message),
    retried(message, reason, retryInMs) {
      metrics.retried();
      logger.info({ ...about(message), reason, retryInMs }, 'webhook attempt failed; retrying');
    },
    dropped(message, cause, reason) {
      metrics.dropped(cause);
      logger.warn({ ...about(message), reason }, 'webhook dropped');
    },
    failed: (error) => logger.error({ err: error }, 'webhook outbox unavailable; delivery resumes when it answers'),
  };
}
