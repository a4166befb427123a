/** Runs SQL: `query` for one parameterised statement, `exec` for a parameterless script. */
export interface SqlExecutor {
  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  exec(script: string): Promise<void>;
}

/** A database connection (pool or embedded) that can also run transactions. */
export interface SqlDatabase extends SqlExecutor {
  /** True when queries run on this thread (the embedded database): each one blocks the event loop while it runs. */
  readonly isInProcess: boolean;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Bytes of this process's memory the database itself holds (the embedded one's heap); 0 for a server. */
  memoryBytes(): number;
  close(): Promise<void>;
}

/** The `code` of a failed call (a PostgreSQL SQLSTATE, a Node error code), if it has one. */
export function sqlErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/** The constraint a failed statement broke (PostgreSQL reports it with a unique or check violation), if any. */
export function sqlErrorConstraint(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'constraint' in error && typeof error.constraint === 'string') {
    return error.constraint;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
