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
