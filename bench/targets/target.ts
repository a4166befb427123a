import { pathToFileURL } from 'node:url';
import { compiledPath } from '../compile.js';
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

export interface StartOptions {
  /** Run under `node --cpu-prof`, writing the profile here at exit. */
  readonly cpuProfileDir?: string;
  /**
   * Run with `--heapsnapshot-signal=SIGUSR2` (on that signal the server writes a heap snapshot
   * here) and the memory probe (on SIGWINCH: its memory before and after a full GC, written here).
   */
  readonly diagnosticsDir?: string;
  /** Raise the server's open-file limit to this, where the machine allows it (see `spawnPinned`). */
  readonly openFiles?: number;
}

/** The node flags that `options` asks for. */
export function diagnosticFlags(options: StartOptions): string[] {
  const flags: string[] = [];
  if (options.cpuProfileDir) flags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  if (options.diagnosticsDir) {
    flags.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${options.diagnosticsDir}`);
    flags.push('--expose-gc', `--import=${pathToFileURL(compiledPath('memoryProbe')).href}`);
  }
  return flags;
}

/** Starts fresh instances of one target; each scenario gets its own process. */
export interface TargetLauncher {
  readonly kind: TargetKind;
  /** What stores its events, for the report ("none" for the peers). */
  readonly storage: string;
  start(options?: StartOptions): Promise<RunningTarget>;
  /** Removes what the launcher created (a database, a data directory). */
  dispose(): Promise<void>;
}
