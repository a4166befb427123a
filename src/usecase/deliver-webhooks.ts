import type { WebhookOutbox, WebhookSender } from '../domain/ports/webhooks.js';
import type { DeliveryOutcome, DropCause, WebhookMessage } from '../domain/webhook.js';
import type { RetryPolicy } from '../domain/webhook-retry.js';

export interface DeliveryOptions {
  /** Attempts in flight at most, each for a different room: a slow room holds one of them, not the others. */
  readonly concurrency: number;
  /** How often the outbox is asked for due messages while nothing is in flight. */
  readonly pollMs: number;
  /** How long a claim keeps other nodes off a message: longer than an attempt can take. */
  readonly leaseMs: number;
  readonly retry: RetryPolicy;
}

/** What delivery tells: each outcome, and failures of the outbox itself. */
export interface DeliveryReport {
  delivered(message: WebhookMessage): void;
  retried(message: WebhookMessage, reason: string, retryInMs: number): void;
  dropped(message: WebhookMessage, cause: DropCause, reason: string): void;
  /** The outbox could not be read or updated (the first failure of a streak). */
  failed(error: unknown): void;
}

/**
 * Sends the outbox's webhooks: claims due messages (the oldest of each room; see
 * `WebhookOutbox.claim`), attempts each, and records the outcome: delivered and removed, retried
 * later by the policy's backoff, or dropped (a 4xx other than 429, or the last attempt failed).
 * A finished attempt frees its slot for the next claim at once; while idle, it asks every `pollMs`.
 */
export class DeliverWebhooks {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private filling: Promise<void> | undefined;
  private wantsFill = false;
  private isFailing = false;

  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly sender: WebhookSender,
    private readonly options: DeliveryOptions,
    private readonly report: DeliveryReport,
  ) {}

  start(): void {
    if (this.timer || this.stopping.signal.aborted) return;
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Claims nothing more, cuts the attempts in flight short and gives their messages back. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.filling;
    await Promise.all(this.inFlight);
  }

  /** Claims while slots are free; a call while a claim runs makes it claim again afterwards. */
  private wake(): void {
    if (this.stopping.signal.aborted) return;
    if (this.filling) {
      this.wantsFill = true;
      return;
    }
    this.filling = this.fill().finally(() => {
      this.filling = undefined;
      if (this.wantsFill) {
        this.wantsFill = false;
        this.wake();
      }
    });
  }

  private async fill(): Promise<void> {
    try {
      for (let free = this.freeSlots(); free > 0; free = this.freeSlots()) {
        const claimed = await this.outbox.claim(free, this.options.leaseMs);
        for (const message of claimed) this.attempt(message);
        this.isFailing = false;
        if (claimed.length < free) return;
      }
    } catch (error) {
      this.failed(error);
    }
  }

  private freeSlots(): number {
    return this.stopping.signal.aborted ? 0 : this.options.concurrency - this.inFlight.size;
  }

  private attempt(message: WebhookMessage): void {
    const done = this.sender
      .send(message, this.stopping.signal)
      .then((outcome) => this.settle(message, outcome))
      .catch((error: unknown) => this.failed(error))
      .finally(() => {
        this.inFlight.delete(done);
        this.wake();
      });
    this.inFlight.add(done);
  }

  private async settle(message: WebhookMessage, outcome: DeliveryOutcome): Promise<void> {
    if (outcome.kind === 'delivered') {
      await this.outbox.remove(message);
      this.report.delivered(message);
    } else if (this.stopping.signal.aborted) {
      await this.outbox.release(message);
    } else if (outcome.kind === 'rejected') {
      await this.outbox.remove(message);
      this.report.dropped(message, 'rejected', `answered ${outcome.status}`);
    } else {
      const next = this.options.retry.afterFailure(message.attempts);
      if ('drop' in next) {
        await this.outbox.remove(message);
        this.report.dropped(message, 'attempts', `${outcome.reason} on attempt ${message.attempts}, the last`);
      } else {
        await this.outbox.retryIn(message, next.retryInMs);
        this.report.retried(message, outcome.reason, next.retryInMs);
      }
    }
  }

  private failed(error: unknown): void {
    if (!this.isFailing) this.report.failed(error);
    this.isFailing = true;
  }
}
