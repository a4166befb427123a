import type { TargetAddress, TargetKind } from '../shared/commands.js';

/** The core the server under test runs on; the load generator gets the other one. */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/** A target server, started and ready. */
export interface RunningTarget {
  readonly address: TargetAddress;
  /** roomcast on PostgreSQL: its database, which an application may share (publishing from SQL). */
  readonly databaseUrl?: string;
  /** Makes sure these rooms exist before subscribers arrive (roomcast creates them; the others need nothing). */
  createRooms(rooms: readonly string[]): Promise<void>;
  /** Stops the server and waits for its exit. */
  stop(): Promise<void>;
}

/** Starts fresh instances of one target; each scenario gets its own process. */
export interface TargetLauncher {
  readonly kind: TargetKind;
  /** What stores its events, for the report ("none" for the peers). */
  readonly storage: string;
  /** `cpuProfileDir`: run under `node --cpu-prof`, writing the profile there at exit. */
  start(options?: { readonly cpuProfileDir?: string }): Promise<RunningTarget>;
  /** Removes what the launcher created (a database, a data directory). */
  dispose(): Promise<void>;
}
