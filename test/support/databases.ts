import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { migrate } from '../../src/database/migrate.js';
import { PgPoolDatabase } from '../../src/database/pg-pool-database.js';
import { PgliteDatabase } from '../../src/database/pglite-database.js';
import type { SqlDatabase, SqlExecutor } from '../../src/database/sql.js';
import { serviceUrl, skipReason } from './services.js';

/** A migrated, empty database of its own for one test file; `dispose` removes it. */
export interface TestDatabase {
  readonly kind: 'postgres' | 'embedded';
  readonly db: SqlDatabase;
  /** The connection string of this database, for a server started in a child process. */
  readonly url?: string;
  dispose(): Promise<void>;
}

/** A fresh database on the PostgreSQL server at `serverUrl`, dropped on dispose; `isMigrated: false` leaves it empty. */
export async function postgresTestDatabase(serverUrl: string, isMigrated = true): Promise<TestDatabase> {
  const name = `roomcast_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = new PgPoolDatabase(url.toString(), 20);
  if (isMigrated) await migrate(db);
  return {
    kind: 'postgres',
    db,
    url: url.toString(),
    async dispose() {
      await db.close();
      await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A fresh in-memory embedded database. */
export async function embeddedTestDatabase(): Promise<TestDatabase> {
  const db = await PgliteDatabase.inMemory();
  await migrate(db);
  return { kind: 'embedded', db, dispose: () => db.close() };
}

/** The real PostgreSQL when DATABASE_URL is set, the embedded one otherwise. */
export function testDatabase(): Promise<TestDatabase> {
  const url = serviceUrl('DATABASE_URL');
  return url ? postgresTestDatabase(url) : embeddedTestDatabase();
}

async function withAdmin(serverUrl: string, work: (admin: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

/** `sql`, with the statements sent through it counted. */
export function countingStatements(sql: SqlExecutor): SqlExecutor & { statements: number } {
  const counted = {
    statements: 0,
    query: <Row>(text: string, params?: readonly unknown[]) => {
      counted.statements += 1;
      return sql.query<Row>(text, params);
    },
    exec: (script: string) => sql.exec(script),
  };
  return counted;
}

/**
 * Runs `contract` on the embedded database and, when DATABASE_URL is set, on PostgreSQL (skipped
 * with its reason otherwise): `what` names the suite ("repositories", "batched appends", ...).
 */
export function onBothDatabases(what: string, contract: (open: () => Promise<TestDatabase>) => void): void {
  const postgresUrl = serviceUrl('DATABASE_URL');
  describe(`${what} on the embedded database`, () => contract(embeddedTestDatabase));
  describe.skipIf(!postgresUrl)(`${what} on PostgreSQL ${postgresUrl ? '' : skipReason('DATABASE_URL')}`, () =>
    contract(() => postgresTestDatabase(postgresUrl!)),
  );
}

/** A database that keeps the text of every statement run on it, transactions included (as BEGIN, then theirs). */
export function recordingStatements(database: TestDatabase): TestDatabase & { readonly statements: string[] } {
  const { db } = database;
  const statements: string[] = [];
  const recording = (sql: SqlExecutor): SqlExecutor => ({
    query: <Row>(text: string, params?: readonly unknown[]) => {
      statements.push(text);
      return sql.query<Row>(text, params);
    },
    exec: (script: string) => {
      statements.push(script);
      return sql.exec(script);
    },
  });
  const recorded: SqlDatabase = {
    ...recording(db),
    isInProcess: db.isInProcess,
    transaction: (work) => {
      statements.push('BEGIN');
      return db.transaction((tx) => work(recording(tx)));
    },
    memoryBytes: () => db.memoryBytes(),
    close: () => db.close(),
  };
  return { ...database, db: recorded, statements };
}
