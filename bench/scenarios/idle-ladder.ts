import { setTimeout as settle } from 'node:timers/promises';
import { LoadProcess } from '../load/load-process.js';
import type { TargetKind } from '../shared/commands.js';
import { ephemeralPortCount, openFilesLimit, residentBytes, webAssemblyResidentBytes } from '../shared/proc-stats.js';
import type { BenchSettings } from '../settings.js';
import type { StartOptions, TargetLauncher } from '../targets/target.js';
import { type MemoryProbe, probeMemory, takeHeapSnapshot } from './server-diagnostics.js';
import { type Session, roomNames, withSession } from './session.js';

/** The counts at which the ladder reads the server's memory, below the total it was asked for. */
const CHECKPOINTS = [10_000, 25_000, 50_000, 100_000];
/** All loopback on Linux (127.0.0.0/8): each source address has its own range of ephemeral ports. */
const SOURCE_ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
/** File descriptors a process needs besides its connections (the embedded database's files, pipes, listeners). */
const SPARE_FILES = 500;
/** Each load generator holds at most this many subscribers: a small heap keeps its GC pauses short. */
const SUBSCRIBERS_PER_LOAD_PROCESS = 25_000;
/** Of each source address's ephemeral ports, the share the ladder counts on (other programs use some). */
const USABLE_PORT_SHARE = 0.95;

export type LadderSettings = BenchSettings['footprint'];

/** The server holding `connections` idle subscribers, each room holding `usersPerRoom`. */
export interface IdleCheckpoint {
  /** Connections open (those that failed are not). */
  readonly connections: number;
  readonly rooms: number;
  readonly rssBytes: number;
  /** Of which the WebAssembly memory: the embedded database's heap (0 for a server without one). */
  readonly webAssemblyBytes: number;
  /** RSS growth over the baseline, per connection held. */
  readonly bytesPerConnection: number;
  /** RSS growth since the previous checkpoint, per connection added since. */
  readonly marginalBytesPerConnection: number;
  /** Wall time to connect the connections added since the previous checkpoint: upgrades, then joins (roomcast). */
  readonly connectMs: number;
  /** How long frames kept coming after those connects (the joins' `member.joined` and presence). */
  readonly settleMs: number;
  /** Subscribers added since the previous checkpoint whose upgrade or join failed. */
  readonly failed: number;
  readonly firstError?: string;
  /** With `diagnosticsDir`: the server's memory by its own account, read after the RSS (it collects garbage). */
  readonly memory?: MemoryProbe;
}

export interface IdleLadderResult {
  readonly kind: TargetKind;
  /** True: roomcast users, each a member of its room, presence on. */
  readonly asUsers: boolean;
  readonly requested: number;
  /** RSS ready and idle before the first connection, and of it the WebAssembly memory. */
  readonly baselineBytes: number;
  readonly baselineWebAssemblyBytes: number;
  readonly checkpoints: readonly IdleCheckpoint[];
  readonly loadProcesses: number;
  readonly sourceAddresses: readonly string[];
  /** The server's open-file limit as it ran, and the ephemeral ports per source address. */
  readonly serverOpenFiles: number;
  readonly portsPerAddress: number;
  /** Why the ladder stopped short of `requested`, when it did. */
  readonly shortfall?: string;
  /** With `diagnosticsDir`: the server's memory at the baseline (each step has its own), and a heap snapshot at the end. */
  readonly diagnostics?: {
    readonly baseline: MemoryProbe;
    readonly heapSnapshot: string;
  };
}

/** What every ladder asks of its processes: room for the connections, and a heap snapshot when wanted. */
export function ladderStartOptions(settings: LadderSettings): StartOptions {
  return { openFiles: settings.connections + SPARE_FILES, diagnosticsDir: settings.diagnosticsDir };
}

/** A peer server (ws-raw, socket.io) through the same ladder, its baseline read `settleMs` after it is ready. */
export function runPeerLadder(
  launcher: TargetLauncher,
  settings: LadderSettings,
  handshakeConcurrency: number,
): Promise<IdleLadderResult> {
  return withSession(
    launcher,
    async (session) => {
      await settle(settings.settleMs);
      return await holdIdleConnections(session, settings, handshakeConcurrency, false);
    },
    ladderStartOptions(settings),
  );
}

/**
 * Connects idle subscribers in steps up to `settings.connections` (10,000, 25,000, 50,000,
 * 100,000 where below it, then the total), `usersPerRoom` to a room, each step on rooms of its
 * own, and reads the server's RSS `settleMs` after each step's frames stopped. The subscribers
 * connect from several loopback addresses in turn and are spread over load generators; a step
 * beyond the server's open-file limit or the ports is not run (the largest that fits is, instead),
 * and a step with failures ends the ladder. The baseline is read first: call it on an idle server.
 */
export async function holdIdleConnections(
  session: Session,
  settings: LadderSettings,
  handshakeConcurrency: number,
  asUsers: boolean,
): Promise<IdleLadderResult> {
  const { target, log } = session;
  const serverPid = target.address.serverPid;
  const baselineBytes = residentBytes(serverPid);
  const baselineWebAssemblyBytes = webAssemblyResidentBytes(serverPid);
  const dir = settings.diagnosticsDir;
  const baselineProbe = dir ? await probeMemory(target, dir) : undefined;
  const limits = connectionLimits(serverPid, session.load.pid, settings.usersPerRoom);
  const { steps, shortfall } = planSteps(settings.connections, limits, settings.usersPerRoom);
  if (shortfall) log(`idle ladder: ${shortfall}`);
  const loads = [session.load];
  for (let index = 1; index < Math.ceil(steps.at(-1)! / limits.perLoadProcess); index++)
    loads.push(LoadProcess.start(target.address, ladderStartOptions(settings).openFiles));
  const ladder: Ladder = { session, settings, handshakeConcurrency, asUsers, loads, limits };
  const checkpoints: IdleCheckpoint[] = [];
  try {
    for (const total of steps) {
      const previous = checkpoints.at(-1);
      const step = await connectStep(ladder, previous?.connections ?? 0, total, previous?.rssBytes ?? baselineBytes);
      checkpoints.push({ ...step, bytesPerConnection: (step.rssBytes - baselineBytes) / step.connections });
      if (step.failed > 0) break;
    }
    const last = checkpoints.at(-1)!;
    const stoppedBy = last.failed > 0 ? `stopped at ${last.connections + last.failed}: ${last.failed} failed` : '';
    return {
      kind: target.address.kind,
      asUsers,
      requested: settings.connections,
      baselineBytes,
      baselineWebAssemblyBytes,
      checkpoints,
      loadProcesses: loads.length,
      sourceAddresses: SOURCE_ADDRESSES,
      serverOpenFiles: limits.serverOpenFiles,
      portsPerAddress: limits.portsPerAddress,
      shortfall: [shortfall, stoppedBy].filter(Boolean).join('; ') || undefined,
      diagnostics: dir
        ? {
            baseline: baselineProbe!,
            heapSnapshot: await takeHeapSnapshot(target, dir),
          }
        : undefined,
    };
  } finally {
    await Promise.all(loads.slice(1).map((load) => load.stop()));
  }
}

/** What every step of one ladder shares. */
interface Ladder {
  readonly session: Session;
  readonly settings: LadderSettings;
  readonly handshakeConcurrency: number;
  readonly asUsers: boolean;
  readonly loads: readonly LoadProcess[];
  readonly limits: ConnectionLimits;
}

/**
 * From `held` connections to `total`: the rooms of the new ones created, each load generator
 * connecting those of its rooms in turn (as many in flight as every scenario: the ramp keeps its
 * pace), then the frames waited out, a pause, and the server's memory read.
 */
async function connectStep(
  ladder: Ladder,
  held: number,
  total: number,
  previousBytes: number,
): Promise<Omit<IdleCheckpoint, 'bytesPerConnection'>> {
  const { session, settings, limits } = ladder;
  const serverPid = session.target.address.serverPid;
  const firstRoom = held / settings.usersPerRoom;
  const rooms = roomNames('footprint', total / settings.usersPerRoom).slice(firstRoom);
  await session.target.createRooms(rooms);
  let connectMs = 0;
  let failed = 0;
  let firstError: string | undefined;
  for (const [index, load] of ladder.loads.entries()) {
    const isOwn = (k: number) =>
      Math.floor(((firstRoom + k) * settings.usersPerRoom) / limits.perLoadProcess) === index;
    const own = rooms.filter((_, k) => isOwn(k));
    if (own.length === 0) continue;
    const connect = await load.run({
      kind: 'connect',
      rooms: own,
      perRoom: settings.usersPerRoom,
      concurrency: ladder.handshakeConcurrency,
      asUsers: ladder.asUsers,
      sourceAddresses: SOURCE_ADDRESSES,
    });
    connectMs += connect.handshakeMs + connect.subscribeMs;
    failed += connect.failed;
    firstError ??= connect.firstError;
  }
  const settled = await Promise.all(ladder.loads.map((load) => load.run({ kind: 'settle' })));
  if (settled.some((result) => !result.isQuiet)) throw new Error(`frames still arriving after ${total} connects`);
  await settle(settings.settleMs);
  const rssBytes = residentBytes(serverPid);
  const added = total - held - failed;
  const marginalBytesPerConnection = (rssBytes - previousBytes) / added;
  session.log(
    `idle ladder: ${total - failed} held, RSS ${mebibytes(rssBytes)}, ${(marginalBytesPerConnection / 1024).toFixed(1)} KiB ` +
      `per connection added, ${added} connected in ${(connectMs / 1000).toFixed(1)} s, ${failed} failed` +
      (firstError ? ` (${firstError})` : ''),
  );
  const webAssemblyBytes = webAssemblyResidentBytes(serverPid);
  const dir = settings.diagnosticsDir;
  return {
    connections: total - failed,
    rooms: total / settings.usersPerRoom,
    rssBytes,
    webAssemblyBytes,
    marginalBytesPerConnection,
    connectMs,
    settleMs: Math.max(...settled.map((result) => result.settleMs)),
    failed,
    firstError,
    memory: dir ? await probeMemory(session.target, dir) : undefined,
  };
}

interface ConnectionLimits {
  readonly serverOpenFiles: number;
  readonly portsPerAddress: number;
  /** The most connections the server's open files allow, and the source addresses' ports. */
  readonly byFiles: number;
  readonly byPorts: number;
  readonly perLoadProcess: number;
}

function connectionLimits(serverPid: number, loadPid: number, usersPerRoom: number): ConnectionLimits {
  const serverOpenFiles = openFilesLimit(serverPid);
  const portsPerAddress = ephemeralPortCount();
  const perLoadProcess = Math.min(SUBSCRIBERS_PER_LOAD_PROCESS, openFilesLimit(loadPid) - SPARE_FILES);
  return {
    serverOpenFiles,
    portsPerAddress,
    byFiles: serverOpenFiles - SPARE_FILES,
    byPorts: Math.floor(SOURCE_ADDRESSES.length * portsPerAddress * USABLE_PORT_SHARE),
    perLoadProcess: Math.floor(perLoadProcess / usersPerRoom) * usersPerRoom,
  };
}

/** The totals to stop at, the last one `requested` or, when it cannot be held, the most that can (whole rooms). */
function planSteps(
  requested: number,
  limits: ConnectionLimits,
  usersPerRoom: number,
): { readonly steps: number[]; readonly shortfall?: string } {
  const total = Math.ceil(requested / usersPerRoom) * usersPerRoom;
  const reachable = Math.floor(Math.min(limits.byFiles, limits.byPorts) / usersPerRoom) * usersPerRoom;
  const wanted = [...CHECKPOINTS.filter((count) => count < total), total];
  if (total <= reachable) return { steps: wanted };
  const why =
    limits.byFiles <= limits.byPorts
      ? `the server's open-file limit is ${limits.serverOpenFiles} and could not be raised (raising a hard limit needs CAP_SYS_RESOURCE)`
      : `${SOURCE_ADDRESSES.length} source addresses × ${limits.portsPerAddress} ephemeral ports`;
  return {
    steps: [...wanted.filter((count) => count < reachable), reachable],
    shortfall: `${total} connections not reachable: ${why}; the ladder stops at ${reachable}`,
  };
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MB`;
}
