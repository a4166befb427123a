import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DropCause, WebhookMessage } from '../../domain/webhook.js';

/** Webhook delivery's metrics, in the server's registry: what this node sent, and the outbox all nodes share. */
export class WebhookMetrics {
  private readonly deliveredTotal: Counter;
  private readonly retriedTotal: Counter;
  private readonly droppedTotal: Counter<'reason'>;
  private readonly latency: Histogram;

  /** `outboxDepth` is read when scraped; a failed read keeps the last figure. */
  constructor(registry: Registry, outboxDepth: () => Promise<number>) {
    const registers = [registry];
    this.deliveredTotal = new Counter({
      name: 'roomcast_webhooks_delivered_total',
      help: 'Webhooks this node delivered (answered 2xx)',
      registers,
    });
    this.retriedTotal = new Counter({
      name: 'roomcast_webhooks_retried_total',
      help: 'Webhook attempts by this node that failed and will be retried (network error, timeout, 429, 5xx)',
      registers,
    });
    this.droppedTotal = new Counter({
      name: 'roomcast_webhooks_dropped_total',
      help: 'Webhooks this node gave up: rejected (a 4xx other than 429) or attempts (the last attempt failed)',
      labelNames: ['reason'],
      registers,
    });
    this.latency = new Histogram({
      name: 'roomcast_webhook_delivery_seconds',
      help: 'From the fact (the event stored, the room created or its occupancy changed) to its webhook answered 2xx',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    });
    new Gauge({
      name: 'roomcast_webhook_outbox_depth',
      help: 'Webhooks waiting in the outbox (shared by every node)',
      registers,
      async collect() {
        await outboxDepth().then(
          (depth) => this.set(depth),
          () => undefined,
        );
      },
    });
    for (const reason of ['rejected', 'attempts'] satisfies DropCause[]) this.droppedTotal.inc({ reason }, 0);
  }

  delivered(message: WebhookMessage): void {
    this.deliveredTotal.inc();
    this.latency.observe(Math.max(0, Date.now() - message.occurredAt.getTime()) / 1000);
  }

  retried(): void {
    this.retriedTotal.inc();
  }

  dropped(reason: DropCause): void {
    this.droppedTotal.inc({ reason });
  }
}
