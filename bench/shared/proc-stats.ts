import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = readClockTicks();

/** CPU time of one process and busy time of every core, read together at one instant. */
export interface CpuSnapshot {
  readonly atMs: number;
  /** utime + stime of the process, all its threads, in milliseconds. */
  readonly processCpuMs: number;
  /** Per core: [busy, total] jiffies since boot. */
  readonly cores: readonly (readonly [number, number])[];
}

/** What happened between two snapshots. */
export interface CpuUsage {
  readonly wallMs: number;
  readonly processCpuMs: number;
  /** Process CPU as a percentage of one core. */
  readonly processPercent: number;
  /** Busy percentage of each core (cpu0, cpu1, ...). */
  readonly coreBusyPercent: readonly number[];
}

export function cpuSnapshot(pid: number): CpuSnapshot {
  return { atMs: performance.now(), processCpuMs: processCpuMs(pid), cores: coreJiffies() };
}

export function cpuUsage(from: CpuSnapshot, to: CpuSnapshot): CpuUsage {
  const wallMs = to.atMs - from.atMs;
  const processCpu = to.processCpuMs - from.processCpuMs;
  return {
    wallMs,
    processCpuMs: processCpu,
    processPercent: wallMs > 0 ? (processCpu / wallMs) * 100 : 0,
    coreBusyPercent: to.cores.map(([busy, total], core) => {
      const [busyBefore, totalBefore] = from.cores[core] ?? [0, 0];
      const totalDelta = total - totalBefore;
      return totalDelta > 0 ? ((busy - busyBefore) / totalDelta) * 100 : 0;
    }),
  };
}

/** Resident memory of a process (VmRSS), in bytes. */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

function coreJiffies(): [number, number][] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => {
      // guest and guest_nice (9th, 10th) are already counted in user and nice.
      const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
      const total = values.reduce((sum, value) => sum + value, 0);
      // idle and iowait are the 4th and 5th values; everything else is work.
      const idle = (values[3] ?? 0) + (values[4] ?? 0);
      return [total - idle, total];
    });
}

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/**
 * Resident bytes of a process's WebAssembly linear memories (the embedded PostgreSQL's heap):
 * V8 reserves each as one region, its accessible part (read-write) directly followed by a guard
 * of several GiB that nothing may touch. The read-write mappings followed by such a guard are them.
 */
export function webAssemblyResidentBytes(pid: number): number {
  const mappings = readMappings(pid);
  let kib = 0;
  mappings.forEach((mapping, index) => {
    const next = mappings[index + 1];
    const isGuardNext =
      next !== undefined && next.start === mapping.end && next.perms === '---p' && next.end - next.start >= WASM_GUARD;
    if (mapping.perms === 'rw-p' && mapping.isAnonymous && isGuardNext) kib += mapping.rssKib;
  });
  return kib * 1024;
}

/** A guard this large follows only WebAssembly memories (V8 reserves 8–10 GiB for each on 64-bit Linux). */
const WASM_GUARD = 4 * 2 ** 30;

interface Mapping {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly isAnonymous: boolean;
  rssKib: number;
}

function readMappings(pid: number): Mapping[] {
  const mappings: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const [, start, end, perms, path] = header;
      mappings.push({
        start: Number.parseInt(start!, 16),
        end: Number.parseInt(end!, 16),
        perms: perms!,
        isAnonymous: path === '',
        rssKib: 0,
      });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && mappings.length > 0) mappings[mappings.length - 1]!.rssKib = Number(rss[1]);
  }
  return mappings;
}

/** The soft open-file limit of a running process, from /proc/<pid>/limits (Infinity when unlimited). */
export function openFilesLimit(pid: number): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  if (soft === undefined) throw new Error(`no open-file limit for process ${pid}`);
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/** How many ephemeral ports the kernel hands out per source address (to one destination). */
export function ephemeralPortCount(): number {
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  return high! - low! + 1;
}
