import type { HealthCheck } from '../domain/ports/health.js';
import type { SqlExecutor } from './sql.js';

/** The database answers a trivial query within the timeout. */
export class DatabaseHealth implements HealthCheck {
  readonly name = 'database';

  constructor(
    private readonly sql: SqlExecutor,
    private readonly timeoutMs = 2000,
  ) {}

  async isHealthy(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeoutMs);
    });
    const probe = this.sql.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
