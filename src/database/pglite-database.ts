import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import lockfile from 'proper-lockfile';
import { createDataDirectory } from './pglite-initdb.js';
import { type SqlDatabase, type SqlExecutor, sqlErrorCode } from './sql.js';

const LOCK_STALE_MS = 5000;

/** How the embedded database is sized. */
export interface PgliteSettings {
  /** PostgreSQL's page cache (shared_buffers), a PostgreSQL size such as "16MB". */
  readonly sharedBuffers: string;
  /**
   * Compile PostgreSQL's WebAssembly with V8's baseline compiler only (Liftoff), never optimised:
   * about 40 MB less RSS, for about 15 % fewer single-event publishes per second and 28 % fewer
   * batched ones (bench/README.md, "The embedded footprint"). It applies to the whole process.
   */
  readonly baselineCompilerOnly: boolean;
}

/** The embedded PostgreSQL (PGlite), kept in a directory that this process locks for itself. */
export class PgliteDatabase implements SqlDatabase {
  readonly isInProcess = true;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly db: PGlite,
    private readonly unlock: () => Promise<void>,
  ) {}

  /** Opens (creating if needed) the database under `dataDir`; refuses a directory another process holds. */
  static async open(dataDir: string, settings: PgliteSettings): Promise<PgliteDatabase> {
    await mkdir(dataDir, { recursive: true });
    // PGlite does not lock its directory, and two writers would corrupt it.
    const unlock = await lockfile
      .lock(dataDir, {
        realpath: false,
        stale: LOCK_STALE_MS,
        // A lock left by a killed process goes stale after LOCK_STALE_MS: wait that long for it.
        retries: { retries: LOCK_STALE_MS / 1000 + 1, minTimeout: 1000, maxTimeout: 1000 },
      })
      .catch((error: unknown) => {
        if (sqlErrorCode(error) !== 'ELOCKED') throw error;
        throw new Error(`DATA_DIR ${dataDir} is locked: another roomcast process is using it`);
      });
    try {
      await createDataDirectory(dataDir);
      if (settings.baselineCompilerOnly) setFlagsFromString('--liftoff-only');
      const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${settings.sharedBuffers}`];
      const db = await PGlite.create(dataDir, { startParams });
      return new PgliteDatabase(db, unlock);
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  /** An in-memory database, gone when closed: for tests. */
  static async inMemory(): Promise<PgliteDatabase> {
    return new PgliteDatabase(await PGlite.create(), async () => {});
  }

  query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return runQuery<Row>(this.db, text, params);
  }

  async exec(script: string): Promise<void> {
    await this.db.exec(script);
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      work({
        query: <Row>(text: string, params: readonly unknown[] = []) => runQuery<Row>(tx, text, params),
        exec: async (script: string) => {
          await tx.exec(script);
        },
      }),
    );
  }

  /**
   * The size of PGlite's WebAssembly memory: PostgreSQL's whole heap, which grows and never
   * shrinks. PGlite keeps its module on a protected field; read defensively (0 if it moves).
   */
  memoryBytes(): number {
    const module = (this.db as unknown as { mod?: { wasmMemory?: { buffer: ArrayBufferLike } } }).mod;
    return module?.wasmMemory?.buffer.byteLength ?? 0;
  }

  /** Closes the database and releases the directory; calling it again resolves with the first call. */
  close(): Promise<void> {
    this.closed ??= this.db.close().then(() => this.unlock());
    return this.closed;
  }
}

async function runQuery<Row>(db: PGlite | Transaction, text: string, params: readonly unknown[]): Promise<Row[]> {
  const result = await db.query<Row>(text, params as unknown[]);
  return result.rows;
}
