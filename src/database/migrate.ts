import { MIGRATIONS, type Migration } from './migrations.js';
import type { SqlDatabase } from './sql.js';

// Any fixed number: every node takes this advisory lock, so concurrent starts migrate once.
const MIGRATION_LOCK_KEY = 7_310_221;

/**
 * Applies the migrations not yet applied (on the embedded database, those not `serverOnly`), each
 * recorded in `schema_migrations`; returns their names.
 */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const rows = await tx.query<{ name: string }>('SELECT name FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.name));
    const pending = migrations.filter(
      (migration) => !applied.has(migration.name) && !(migration.serverOnly && db.isInProcess),
    );
    for (const migration of pending) {
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [migration.name]);
    }
    return pending.map((migration) => migration.name);
  });
}
