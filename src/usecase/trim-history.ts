import type { RetentionPolicy, UnitOfWork } from '../domain/ports/repositories.js';
import { PeriodicTask } from './periodic-task.js';

/** What one trim deleted: events, and idempotency keys past their lifetime. */
export interface Trimmed {
  readonly events: number;
  readonly keys: number;
}

/** What a background trim tells: how much it deleted, or why it failed. */
export interface TrimReport {
  trimmed(deleted: Trimmed): void;
  failed(error: unknown): void;
}

/**
 * Deletes history that the retention policy no longer keeps (readers past it get
 * `recovered: false`), and idempotency keys past their lifetime.
 */
export class TrimHistory {
  private schedule: PeriodicTask | undefined;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly policy: RetentionPolicy,
  ) {}

  async execute(): Promise<Trimmed> {
    const { events } = this.uow.repos;
    const { maxEventsPerRoom, maxAgeSeconds, idempotencyKeySeconds } = this.policy;
    const hasHistoryLimit = maxEventsPerRoom !== undefined || maxAgeSeconds !== undefined;
    return {
      events: hasHistoryLimit ? await events.trim(this.policy) : 0,
      keys: idempotencyKeySeconds === undefined ? 0 : await events.forgetKeys(idempotencyKeySeconds),
    };
  }

  /** Trims in the background every `intervalMs` until `stop` (never two at once, never blocking publishes). */
  runEvery(intervalMs: number, report: TrimReport): void {
    this.schedule ??= new PeriodicTask(intervalMs, async () => {
      try {
        const deleted = await this.execute();
        if (deleted.events > 0 || deleted.keys > 0) report.trimmed(deleted);
      } catch (error) {
        report.failed(error);
      }
    });
  }

  /** Stops the background trims, waiting for one under way. */
  async stop(): Promise<void> {
    await this.schedule?.stop();
  }
}
