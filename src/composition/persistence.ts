import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { migrate } from '../database/migrate.js';
import { PgPoolDatabase } from '../database/pg-pool-database.js';
import { PgUnitOfWork } from '../database/pg-unit-of-work.js';
import { PgliteDatabase } from '../database/pglite-database.js';
import type { SqlDatabase } from '../database/sql.js';
import type { Config } from './config.js';
import { TOKENS, provide } from './tokens.js';

/** Opens the configured database (PostgreSQL with DATABASE_URL, the embedded one under DATA_DIR otherwise) and migrates it. */
export async function openDatabase(config: Config, logger: Logger): Promise<SqlDatabase> {
  const database = config.databaseUrl
    ? new PgPoolDatabase(config.databaseUrl)
    : await PgliteDatabase.open(config.dataDir, {
        sharedBuffers: config.embeddedSharedBuffers,
        baselineCompilerOnly: config.embeddedCompiler === 'baseline',
      });
  await migrateDatabase(database, logger);
  return database;
}

/** Applies the migrations not yet applied. */
export async function migrateDatabase(database: SqlDatabase, logger: Logger): Promise<void> {
  const applied = await migrate(database);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
}

export function registerPersistence(container: DependencyContainer, database: SqlDatabase): void {
  provide(container, TOKENS.database, () => database);
  provide(container, TOKENS.unitOfWork, (get) => new PgUnitOfWork(get(TOKENS.database)));
}
