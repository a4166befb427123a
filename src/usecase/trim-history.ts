import type { RetentionPolicy, UnitOfWork } from '../domain/ports/repositories.js';

/** Deletes history that the retention policy no longer keeps; readers past it get `recovered: false`. */
export class TrimHistory {
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
}
