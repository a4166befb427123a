import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import type { RunningTarget } from '../targets/target.js';

const POLL_MS = 500;
const LIMIT_MS = 600_000;

/** Where a server's memory is, as the memory probe (bench/targets/memory-probe.ts) reads it, in bytes. */
export interface MemoryReading {
  readonly rss: number;
  /** V8's heap: committed, and used by objects (live and not yet collected). */
  readonly heapTotal: number;
  readonly heapUsed: number;
  /** Memory outside V8's heap that JavaScript objects hold (Buffers' and ArrayBuffers' contents among it). */
  readonly external: number;
  readonly arrayBuffers: number;
  /** What V8 itself has malloc'ed. */
  readonly mallocedMemory: number;
}

/** One reading as the server was, and one a few seconds after a full garbage collection. */
export interface MemoryProbe {
  readonly before: MemoryReading;
  readonly afterGc: MemoryReading;
}

/** Has the server (started with `--footprint-diagnostics`) read its memory, collect its garbage and read it again. */
export async function probeMemory(target: RunningTarget, dir: string): Promise<MemoryProbe> {
  const { serverPid } = target.address;
  const written = await awaitNewFile(
    dir,
    (name) => name.startsWith(`memory-${serverPid}-`),
    () => {
      process.kill(serverPid, 'SIGWINCH');
    },
  );
  return JSON.parse(await readFile(join(dir, written), 'utf8')) as MemoryProbe;
}

/**
 * Has the server (started with `--heapsnapshot-signal=SIGUSR2`) write a heap snapshot into `dir`.
 * It writes on its main thread: once the file is there and the server answers again, it is complete.
 */
export async function takeHeapSnapshot(target: RunningTarget, dir: string): Promise<string> {
  const { host, port, serverPid } = target.address;
  const isAnswering = () =>
    fetch(`http://${host}:${port}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
  const written = await awaitNewFile(
    dir,
    (name) => name.endsWith('.heapsnapshot'),
    () => void process.kill(serverPid, 'SIGUSR2'),
    isAnswering,
  );
  return join(dir, written);
}

/** Runs `trigger`, then polls `dir` until a file matching `isWanted` that was not there appears and `isDone`. */
async function awaitNewFile(
  dir: string,
  isWanted: (name: string) => boolean,
  trigger: () => void,
  isDone: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<string> {
  const before = new Set(await readdir(dir));
  trigger();
  const deadline = performance.now() + LIMIT_MS;
  while (performance.now() < deadline) {
    await wait(POLL_MS);
    const written = (await readdir(dir)).find((name) => isWanted(name) && !before.has(name));
    if (written !== undefined && (await isDone())) return written;
  }
  throw new Error(`nothing new in ${dir} after ${LIMIT_MS / 1000} s`);
}
