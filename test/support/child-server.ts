import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDatabase, postgresTestDatabase } from './databases.js';
import { serviceUrl } from './services.js';
import { GENEROUS_RATE_LIMITS, NO_SHUTDOWN_DRAIN } from './test-server.js';
import { TEST_SECRET } from './tokens.js';

/** roomcast running as a real process (src/main.ts through tsx), as an operator runs it. */
export interface ChildServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  readonly wsUrl: string;
  /** Every log line the server printed, parsed. */
  readonly logs: Record<string, unknown>[];
  /**
   * Resolves with the first log line at index `from` (default 0) or later that `matches`: the lines
   * already printed are checked now, each later one as it arrives. Rejects with `what` after
   * `timeoutMs`, or once the process has closed its output without printing one.
   */
  waitForLog(
    matches: (line: Record<string, unknown>) => boolean,
    what: string,
    options?: { readonly timeoutMs?: number; readonly from?: number },
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** The process's peak resident memory (VmHWM) since start or the last `resetPeakRss`, in bytes. */
  peakRssBytes(): Promise<number>;
  /** Starts a new peak-RSS window (Linux clear_refs 5) and resolves to the RSS it starts from, in bytes. */
  resetPeakRss(): Promise<number>;
  /** Sends the signal, waits for the exit, and removes the server's database. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a server process on a free port, with PostgreSQL (a fresh database) when DATABASE_URL is
 * set. It logs at info: the port is read from its "roomcast listening" line.
 */
export async function spawnServer(env: Record<string, string> = {}): Promise<ChildServer> {
  const postgresUrl = serviceUrl('DATABASE_URL');
  // A DATABASE_URL in `env` is a database the caller shares between servers (and disposes of).
  const database: TestDatabase | undefined =
    postgresUrl && env.DATABASE_URL === undefined ? await postgresTestDatabase(postgresUrl) : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'roomcast-child-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      AUTH_SECRET: TEST_SECRET,
      DATABASE_URL: database?.url ?? '',
      DATA_DIR: dataDir,
      ...GENEROUS_RATE_LIMITS,
      ...NO_SHUTDOWN_DRAIN,
      ...env,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never outlive the test run, even when a test times out before it could stop the server.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const logs: Record<string, unknown>[] = [];
  // Told of each line as it is parsed, and once more when stdout ends.
  const logListeners = new Set<() => void>();
  const tellLogListeners = () => {
    for (const listener of [...logListeners]) listener();
  };
  let isOutputEnded = false;
  child.stdout!.once('end', () => {
    isOutputEnded = true;
    tellLogListeners();
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      resolve(code);
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'roomcast listening') resolve(entry.port as number);
      }
      tellLogListeners();
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  const cleanUp = async () => {
    await database?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  };
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/v1/ws`,
    logs,
    waitForLog: (matches, what, { timeoutMs = 10_000, from = 0 } = {}) =>
      new Promise((resolve, reject) => {
        let next = from;
        const check = () => {
          for (; next < logs.length; next += 1) {
            if (matches(logs[next]!)) return finish(() => resolve(logs[next]!));
          }
          if (isOutputEnded) finish(() => reject(new Error(`${what}: the server's output ended without that line`)));
        };
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          logListeners.delete(check);
          settle();
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${what} not logged within ${timeoutMs} ms`))),
          timeoutMs,
        );
        logListeners.add(check);
        check();
      }),
    exited,
    peakRssBytes: () => memoryStatus(child, 'VmHWM'),
    async resetPeakRss() {
      await writeFile(`/proc/${child.pid}/clear_refs`, '5');
      return memoryStatus(child, 'VmRSS');
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      await cleanUp();
      return code;
    },
  };
}

/** One memory figure of /proc/<pid>/status, in bytes. */
async function memoryStatus(child: ChildProcess, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
}
