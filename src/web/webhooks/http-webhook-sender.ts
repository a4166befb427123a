import { Webhook } from 'standardwebhooks';
import type { WebhookSender } from '../../domain/ports/webhooks.js';
import type { DeliveryOutcome, WebhookMessage } from '../../domain/webhook.js';
import { webhookBody } from './webhook-body.js';

const TOO_MANY_REQUESTS = 429;

/** Posts webhooks to one URL, signed as the Standard Webhooks specification says (with its library). */
export class HttpWebhookSender implements WebhookSender {
  private readonly signer: Webhook;

  /** `secret` is `whsec_` + a base64 key. */
  constructor(
    private readonly url: string,
    secret: string,
    private readonly timeoutMs: number,
  ) {
    this.signer = new Webhook(secret);
  }

  async send(message: WebhookMessage, signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = webhookBody(message);
    // Signed at each attempt: receivers refuse a timestamp more than a few minutes old.
    const sentAt = new Date();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'roomcast-webhooks',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': this.signer.sign(message.id, sentAt, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout]),
      });
      // Only the status matters; the body is not read, and its connection is freed.
      await response.body?.cancel().catch(() => undefined);
      return outcomeOf(response.status);
    } catch (error) {
      if (timeout.aborted) return { kind: 'retry', reason: `no answer within ${this.timeoutMs} ms` };
      if (signal.aborted) return { kind: 'retry', reason: 'cut short by shutdown' };
      return { kind: 'retry', reason: `request failed: ${causeOf(error)}` };
    }
  }
}

/** 2xx: delivered; 429, 5xx and anything else unexpected (1xx, 3xx): retried; another 4xx: refused for good. */
function outcomeOf(status: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status >= 400 && status < 500 && status !== TOO_MANY_REQUESTS) return { kind: 'rejected', status };
  return { kind: 'retry', reason: `answered ${status}` };
}

/** What went wrong underneath fetch's generic "fetch failed" (ECONNREFUSED, a DNS failure, ...). */
function causeOf(error: unknown): string {
  const cause = error instanceof Error ? (error.cause ?? error) : error;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
  return String(cause);
}
