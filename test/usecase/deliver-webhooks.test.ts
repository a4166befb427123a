import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookSender } from '../../src/domain/ports/webhooks.js';
import type { DeliveryOutcome, WebhookMessage } from '../../src/domain/webhook.js';
import { RetryPolicy } from '../../src/domain/webhook-retry.js';
import { DeliverWebhooks, type DeliveryReport } from '../../src/usecase/deliver-webhooks.js';
import { onEvent, when } from '../support/eventually.js';
import { InMemoryWebhookOutbox } from '../support/fakes/in-memory-webhook-outbox.js';
import { gate } from '../support/gate.js';

/** A sender answering as `answer` says, keeping who was attempted and how many attempts are in flight. */
class ScriptedSender implements WebhookSender {
  readonly attempted: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  answer: (message: WebhookMessage, signal: AbortSignal) => DeliveryOutcome | Promise<DeliveryOutcome> = () => ({
    kind: 'delivered',
  });

  constructor(private readonly changes: EventEmitter) {}

  async send(message: WebhookMessage, signal: AbortSignal): Promise<DeliveryOutcome> {
    this.attempted.push(message.id);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.changes.emit('change');
    try {
      return await this.answer(message, signal);
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** Every report, as `kind id` lines. */
class RecordingReport implements DeliveryReport {
  readonly lines: string[] = [];
  failures = 0;

  constructor(private readonly changes: EventEmitter) {}

  delivered(message: WebhookMessage): void {
    this.note(`delivered ${message.id}`);
  }
  retried(message: WebhookMessage, reason: string): void {
    this.note(`retried ${message.id} (${reason})`);
  }
  dropped(message: WebhookMessage, cause: string): void {
    this.note(`dropped ${message.id} (${cause})`);
  }
  failed(): void {
    this.failures += 1;
    this.changes.emit('change');
  }

  private note(line: string): void {
    this.lines.push(line);
    this.changes.emit('change');
  }
}

const changes = new EventEmitter();
let delivery: DeliverWebhooks | undefined;
afterEach(() => delivery?.stop());

function setUp(options: { concurrency?: number; retry?: RetryPolicy } = {}) {
  const outbox = new InMemoryWebhookOutbox();
  const sender = new ScriptedSender(changes);
  const report = new RecordingReport(changes);
  delivery = new DeliverWebhooks(
    outbox,
    sender,
    {
      concurrency: options.concurrency ?? 4,
      pollMs: 10,
      leaseMs: 60_000,
      retry: options.retry ?? new RetryPolicy(5, 1),
    },
    report,
  );
  const until = (condition: () => boolean, what: string) => when(condition, onEvent(changes, 'change'), 5000, what);
  return { outbox, sender, report, delivery, until };
}

describe('DeliverWebhooks', () => {
  it("delivers each room's messages in order and removes them", async () => {
    const { outbox, report, delivery, until } = setUp();
    const ids = ['a', 'b', 'a', 'b', 'a'].map((room) => outbox.add(room).id);
    delivery.start();
    await until(() => report.lines.length === 5, 'five deliveries');
    const ofRoom = (room: string) => ids.filter((_, i) => ['a', 'b', 'a', 'b', 'a'][i] === room);
    const delivered = report.lines.map((line) => line.split(' ')[1]!);
    expect(delivered.filter((id) => ofRoom('a').includes(id))).toEqual(ofRoom('a'));
    expect(delivered.filter((id) => ofRoom('b').includes(id))).toEqual(ofRoom('b'));
    expect(outbox.waiting).toEqual([]);
  });

  it('attempts at most `concurrency` rooms at once; a slow room holds only its own slot', async () => {
    const { outbox, sender, report, delivery, until } = setUp({ concurrency: 2 });
    const slow = gate<DeliveryOutcome>();
    const [held] = [outbox.add('slow'), outbox.add('b'), outbox.add('c'), outbox.add('d')];
    sender.answer = (message) => (message.id === held!.id ? slow.wait() : { kind: 'delivered' });
    delivery.start();
    await until(() => report.lines.length === 3, 'the other rooms delivered');
    expect(sender.maxInFlight).toBe(2);
    expect(report.lines).not.toContain(`delivered ${held!.id}`);
    slow.resolve({ kind: 'delivered' });
    await until(() => report.lines.length === 4, 'the slow room delivered');
  });

  it("retries with the policy's delay, drops after the last attempt, and goes on with the room", async () => {
    const { outbox, sender, report, delivery, until } = setUp({ retry: new RetryPolicy(3, 1, () => 0.5) });
    const failing = outbox.add('a');
    const next = outbox.add('a');
    sender.answer = (message) =>
      message.id === failing.id ? { kind: 'retry', reason: 'answered 503' } : { kind: 'delivered' };
    delivery.start();
    await until(() => report.lines.includes(`delivered ${next.id}`), 'the next message delivered');
    expect(report.lines).toEqual([
      `retried ${failing.id} (answered 503)`,
      `retried ${failing.id} (answered 503)`,
      `dropped ${failing.id} (attempts)`,
      `delivered ${next.id}`,
    ]);
    expect(outbox.calls.slice(0, 3)).toEqual([
      `retry ${failing.id} in 1`,
      `retry ${failing.id} in 2`,
      `remove ${failing.id}`,
    ]);
  });

  it('drops a message refused for good at once', async () => {
    const { outbox, sender, report, delivery, until } = setUp();
    const refused = outbox.add('a');
    const next = outbox.add('a');
    sender.answer = (message) =>
      message.id === refused.id ? { kind: 'rejected', status: 400 } : { kind: 'delivered' };
    delivery.start();
    await until(() => report.lines.length === 2, 'both settled');
    expect(report.lines).toEqual([`dropped ${refused.id} (rejected)`, `delivered ${next.id}`]);
    expect(sender.attempted).toEqual([refused.id, next.id]);
  });

  it('at stop, cuts the attempts in flight short and gives their messages back, unattempted', async () => {
    const { outbox, sender, report, delivery, until } = setUp();
    const message = outbox.add('a');
    sender.answer = (_message, signal) =>
      new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve({ kind: 'retry', reason: 'cut short by shutdown' })),
      );
    delivery.start();
    await until(() => sender.inFlight === 1, 'an attempt in flight');
    await delivery.stop();
    expect(outbox.calls).toEqual([`release ${message.id}`]);
    expect(outbox.waiting).toEqual([{ ...message, attempts: 0 }]);
    expect(report.lines).toEqual([]);
  });

  it('reports an outbox that does not answer once, and resumes when it does', async () => {
    const { outbox, report, delivery, until } = setUp();
    outbox.failure = new Error('connection refused');
    const message = outbox.add('a');
    delivery.start();
    await until(() => report.failures === 1, 'the failure reported');
    const failedClaims = outbox.claims;
    await when(() => outbox.claims >= failedClaims + 3, onEvent(outbox, 'claim'), 5000, 'three more polls');
    expect(report.failures).toBe(1);
    outbox.failure = undefined;
    await until(() => report.lines.includes(`delivered ${message.id}`), 'delivered once the outbox answers');
  });
});
