import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A child process bound to one core, with its open-file limit raised to the hard limit. */
export interface PinnedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** What it wrote to stderr so far (for error messages). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface PinnedOptions {
  readonly core: number;
  readonly command: readonly string[];
  readonly env?: Record<string, string>;
  /** Opens an IPC channel (the child must be node). */
  readonly isIpc?: boolean;
  /**
   * Raises the hard open-file limit to this first, when allowed (root with CAP_SYS_RESOURCE, up to
   * fs.nr_open); where it is not, the soft limit still rises to the hard limit there is.
   */
  readonly openFiles?: number;
}

export function spawnPinned(options: PinnedOptions): PinnedProcess {
  // `exec` keeps the pid: the pid we hold is the pinned program's own, for /proc and signals.
  const wanted = Math.ceil(options.openFiles ?? 0);
  const raise =
    wanted > 0
      ? `[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge ${wanted} ] || ulimit -Hn ${wanted} 2>/dev/null; `
      : '';
  const script = `${raise}ulimit -n "$(ulimit -Hn)"; exec taskset -c "$0" "$@"`;
  const child = spawn('bash', ['-c', script, String(options.core), ...options.command], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe', ...(options.isIpc ? (['ipc'] as const) : [])],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  if (child.pid === undefined) throw new Error(`could not start ${options.command.join(' ')}`);
  return {
    child,
    pid: child.pid,
    stderr: () => stderr,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls `url` until it answers 200; fails early if the process exits. */
export async function waitUntilReady(url: string, process: PinnedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null) throw new Error(`exited with ${process.child.exitCode}: ${process.stderr()}`);
    const isReady = await fetch(url).then(
      (res) => res.ok,
      () => false,
    );
    if (isReady) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${process.stderr()}`);
}
