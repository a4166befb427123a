import type { ConnectResult, SettleResult, TargetKind } from '../shared/commands.js';
import { LoadProcess } from '../load/load-process.js';
import type { RunningTarget, StartOptions, TargetLauncher } from '../targets/target.js';

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
  options: StartOptions = {},
): Promise<T> {
  const startingAt = performance.now();
  const target = await launcher.start(options);
  const log = (line: string) => progress(launcher.kind, line);
  log(`server ready in ${((performance.now() - startingAt) / 1000).toFixed(1)} s`);
  const load = LoadProcess.start(target.address, options.openFiles);
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

/** How a scenario's subscribers were connected, and how long what that set off took to die down. */
export interface SubscriberSetup {
  /** roomcast: users, each a member of its room and present in it; false: the service token (and every peer). */
  readonly asUsers: boolean;
  /** roomcast: each subscriber a WebSocket `join` or an event stream; the peers: WebSocket. */
  readonly transport: 'websocket' | 'sse';
  readonly connect: ConnectResult;
  readonly settle: SettleResult;
}

/**
 * Opens `perRoom` subscribers on each room (any failure fails the scenario), then waits until no
 * frame has come for half a second: with users, their `member.joined` events and the presence frames
 * reach every subscriber of the room, and the measured windows must start after that storm.
 */
export async function connectSubscribers(
  session: Session,
  rooms: readonly string[],
  perRoom: number,
  concurrency: number,
  asUsers = false,
  transport: SubscriberSetup['transport'] = 'websocket',
): Promise<SubscriberSetup> {
  const connect = await session.load.run({ kind: 'connect', rooms, perRoom, concurrency, asUsers, transport });
  if (connect.failed > 0) throw new Error(`${connect.failed} subscribers failed: ${connect.firstError}`);
  const seconds = (connect.handshakeMs + connect.subscribeMs) / 1000;
  const who = `${asUsers ? 'users' : 'subscribers'}${transport === 'sse' ? ' (event streams)' : ''}`;
  session.log(`${connect.opened} ${who} on ${rooms.length} room(s) in ${seconds.toFixed(1)} s`);
  const settle = await session.load.run({ kind: 'settle' });
  if (!settle.isQuiet) {
    throw new Error(`frames still arriving ${(settle.settleMs / 1000).toFixed(0)} s after connecting`);
  }
  if (settle.frames > 0) {
    session.log(
      `settled ${(settle.settleMs / 1000).toFixed(1)} s after connecting; ${settle.frames} frames since it began`,
    );
  }
  return { asUsers, transport, connect, settle };
}
