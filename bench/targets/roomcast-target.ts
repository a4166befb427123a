import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDatabase, postgresTestDatabase } from '../../test/support/databases.js';
import { signToken } from '../../test/support/tokens.js';
import { forEachConcurrently } from '../shared/concurrency.js';
import { freePort, spawnPinned, waitUntilReady } from './pinned-process.js';
import { SERVER_CORE, type RunningTarget, type TargetLauncher, diagnosticFlags } from './target.js';

const HOST = '127.0.0.1';
const ROOM_CREATION_CONCURRENCY = 16;

/** Rooms take this many members: the user subscribers of a scenario must all fit. */
const ROOM_CAPACITY = 100_000;

/** Limits raised so that neither the benchmark's service user nor its user subscribers are refused for volume. */
const BENCH_LIMITS = {
  WS_OPS_PER_SECOND: '1000000',
  WS_OPS_BURST: '2000000',
  REST_CALLS_PER_SECOND: '1000000',
  REST_CALLS_BURST: '2000000',
  MAX_CONNECTIONS_PER_USER: '1000000',
};

/**
 * roomcast as an operator runs it: `node dist/main.js` in production mode, with a fresh database
 * on the PostgreSQL server of DATABASE_URL when set, else the embedded one in a temp DATA_DIR.
 * Every instance of one launcher shares that database, so rooms made by one scenario stay.
 */
export async function roomcastLauncher(
  postgresUrl: string | undefined,
  storage: string,
  extraEnv: Record<string, string> = {},
): Promise<TargetLauncher> {
  const secret = randomBytes(32).toString('hex');
  const token = await signToken('bench', { scope: 'service', secret, expiresIn: 24 * 3600 });
  const database: TestDatabase | undefined = postgresUrl ? await postgresTestDatabase(postgresUrl, false) : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'roomcast-bench-'));
  return {
    kind: 'roomcast',
    storage,
    async start(options = {}): Promise<RunningTarget> {
      const port = await freePort();
      const server = spawnPinned({
        core: SERVER_CORE,
        command: [process.execPath, ...diagnosticFlags(options), 'dist/main.js'],
        openFiles: options.openFiles,
        env: {
          ...BENCH_LIMITS,
          NODE_ENV: 'production',
          PORT: String(port),
          HOST,
          AUTH_SECRET: secret,
          DATABASE_URL: database?.url ?? '',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          // Stopping a server is not measured: no drain window between scenarios.
          SHUTDOWN_DRAIN_MS: '0',
          ...extraEnv,
        },
      });
      const baseUrl = `http://${HOST}:${port}`;
      await waitUntilReady(`${baseUrl}/readyz`, server);
      return {
        address: { kind: 'roomcast', host: HOST, port, serverPid: server.pid, token, userSecret: secret },
        ...(database?.url && { databaseUrl: database.url }),
        createRooms: (rooms) => createRooms(baseUrl, token, rooms),
        stop: () => server.stop(),
      };
    },
    async dispose() {
      await database?.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function createRooms(baseUrl: string, token: string, rooms: readonly string[]): Promise<void> {
  await forEachConcurrently(rooms, ROOM_CREATION_CONCURRENCY, async (id) => {
    const res = await fetch(`${baseUrl}/v1/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, name: id, capacity: ROOM_CAPACITY }),
    });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`creating room ${id}: ${res.status} ${await res.text()}`);
  });
}
