import { EventEmitter } from 'node:events';
import type { WebhookOutbox } from '../../../src/domain/ports/webhooks.js';
import type { WebhookMessage } from '../../../src/domain/webhook.js';

interface Stored {
  message: WebhookMessage;
  dueAt: number;
}

/**
 * The outbox's claim rules in memory (the oldest message of each room, when due), with every
 * settling call recorded; emits 'claim' after each claim, answered or failed.
 */
export class InMemoryWebhookOutbox extends EventEmitter implements WebhookOutbox {
  private readonly stored: Stored[] = [];
  private nextPosition = 1;
  readonly calls: string[] = [];
  claims = 0;
  /** When set, every call rejects with it (the database is down). */
  failure: Error | undefined;

  add(room: string, type = 'chat.line'): WebhookMessage {
    const position = this.nextPosition++;
    const message = { position, id: `msg_${position}`, room, type, occurredAt: new Date(), attempts: 0 };
    this.stored.push({ message, dueAt: 0 });
    return message;
  }

  get waiting(): readonly WebhookMessage[] {
    return this.stored.map((entry) => entry.message);
  }

  async record(): Promise<boolean> {
    return false;
  }

  async claim(limit: number, leaseMs: number): Promise<WebhookMessage[]> {
    this.claims += 1;
    queueMicrotask(() => this.emit('claim'));
    this.check();
    const heads = new Map<string, Stored>();
    for (const entry of this.stored) if (!heads.has(entry.message.room)) heads.set(entry.message.room, entry);
    const due = [...heads.values()].filter((entry) => entry.dueAt <= Date.now()).slice(0, limit);
    for (const entry of due) {
      entry.message = { ...entry.message, attempts: entry.message.attempts + 1 };
      entry.dueAt = Date.now() + leaseMs;
    }
    return due.map((entry) => entry.message);
  }

  async remove(message: WebhookMessage): Promise<void> {
    this.check();
    this.calls.push(`remove ${message.id}`);
    const index = this.stored.findIndex((entry) => entry.message.position === message.position);
    if (index >= 0) this.stored.splice(index, 1);
  }

  async retryIn(message: WebhookMessage, delayMs: number): Promise<void> {
    this.check();
    this.calls.push(`retry ${message.id} in ${delayMs}`);
    this.entry(message).dueAt = Date.now() + delayMs;
  }

  async release(message: WebhookMessage): Promise<void> {
    this.check();
    this.calls.push(`release ${message.id}`);
    const entry = this.entry(message);
    entry.dueAt = 0;
    entry.message = { ...entry.message, attempts: entry.message.attempts - 1 };
  }

  async depth(): Promise<number> {
    return this.stored.length;
  }

  private entry(message: WebhookMessage): Stored {
    return this.stored.find((entry) => entry.message.position === message.position)!;
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}
