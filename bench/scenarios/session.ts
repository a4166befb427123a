import type { ConnectResult, TargetKind } from '../shared/commands.js';
import { LoadProcess } from '../load/load-process.js';
import type { RunningTarget, TargetLauncher } from '../targets/target.js';

/** A fresh target process and a fresh load generator aimed at it, for one scenario. */
export interface Session {
  readonly target: RunningTarget;
  readonly load: LoadProcess;
  /** Prints a progress line on stderr, prefixed with the target's name. */
  log(line: string): void;
}

/** Runs `work` against a freshly started target, then stops both processes whatever happens. */
export async function withSession<T>(
  launcher: TargetLauncher,
  work: (session: Session) => Promise<T>,
  options: { readonly cpuProfileDir?: string } = {},
): Promise<T> {
  const startingAt = performance.now();
  const target = await launcher.start(options);
  const log = (line: string) => progress(launcher.kind, line);
  log(`server ready in ${((performance.now() - startingAt) / 1000).toFixed(1)} s`);
  const load = LoadProcess.start(target.address);
  try {
    return await work({ target, load, log });
  } finally {
    await load.stop();
    await target.stop();
  }
}

const startedAt = performance.now();

/** A progress line on stderr: seconds since the harness started, who, what. */
export function progress(kind: TargetKind | string, line: string): void {
  const elapsed = ((performance.now() - startedAt) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`${elapsed}s [${kind}] ${line}\n`);
}

export function roomNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}

/** Opens `perRoom` subscribers on each room; any failure fails the scenario. */
export async function connectSubscribers(
  session: Session,
  rooms: readonly string[],
  perRoom: number,
  concurrency: number,
): Promise<ConnectResult> {
  const connected = await session.load.run({ kind: 'connect', rooms, perRoom, concurrency });
  if (connected.failed > 0) throw new Error(`${connected.failed} subscribers failed: ${connected.firstError}`);
  const seconds = (connected.handshakeMs + connected.subscribeMs) / 1000;
  session.log(`${connected.opened} subscribers on ${rooms.length} room(s) in ${seconds.toFixed(1)} s`);
  return connected;
}
