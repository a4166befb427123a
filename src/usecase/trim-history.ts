import type { RetentionPolicy, UnitOfWork } from '../domain/ports/repositories.js';
import { PeriodicTask } from './periodic-task.js';

/** What a background trim tells: how much it deleted, or why it failed. */
export interface TrimReport {
  trimmed(deleted: number): void;
  failed(error: unknown): void;
}

/** Deletes history that the retention policy no longer keeps; readers past it get `recovered: false`. */
export class TrimHistory {
  private schedule: PeriodicTask | undefined;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly policy: RetentionPolicy,
  ) {}

  /** Resolves to the number of events deleted. */
  execute(): Promise<number> {
    if (this.policy.maxEventsPerRoom === undefined && this.policy.maxAgeSeconds === undefined) {
      return Promise.resolve(0);
    }
    return this.uow.repos.events.trim(this.policy);
  }

  /** Trims in the background every `intervalMs` until `stop` (never two at once, never blocking publishes). */
  runEvery(intervalMs: number, report: TrimReport): void {
    this.schedule ??= new PeriodicTask(intervalMs, async () => {
      try {
        const deleted = await this.execute();
        if (deleted > 0) report.trimmed(deleted);
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
