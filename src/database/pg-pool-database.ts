import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SqlDatabase, SqlExecutor } from './sql.js';

/** A real PostgreSQL server reached through a `pg` pool. */
export class PgPoolDatabase implements SqlDatabase {
  readonly isInProcess = false;
  private readonly pool: pg.Pool;
  private closed: Promise<void> | undefined;

  constructor(connectionString: string, maxConnections = 10) {
    this.pool = new pg.Pool({ connectionString, max: maxConnections });
    // An idle client losing its server connection must not crash the process; the next query reports it.
    this.pool.on('error', () => {});
  }

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query(prepared(text, params));
    return result.rows as Row[];
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: SqlExecutor = {
      query: async <Row>(text: string, params: readonly unknown[] = []) =>
        (await client.query(prepared(text, params))).rows as Row[],
      exec: async (script: string) => {
        await client.query(script);
      },
    };
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').then(
        () => client.release(),
        (rollbackError: Error) => client.release(rollbackError),
      );
      throw error;
    }
  }

  /** The server's memory is its own, in another process. */
  memoryBytes(): number {
    return 0;
  }

  /** Ends the pool; calling it again resolves with the first call. */
  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }
}

const statementNames = new Map<string, string>();

/**
 * A named (prepared) statement: each connection parses and plans a statement text once, then
 * only binds and runs it. Every statement of this server is a fixed text, so the names stay few;
 * a name is derived from the text, so that the same text always has the same name.
 */
function prepared(text: string, params: readonly unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `roomcast_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return { name, text, values: params as unknown[] };
}
