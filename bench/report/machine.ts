import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import pg from 'pg';

/** Where and with what the benchmark ran. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly kernel: string;
  readonly node: string;
  /** roomcast's version and commit, and the versions of the libraries in the path. */
  readonly packages: Readonly<Record<string, string>>;
  /** /proc/loadavg when the run began: other work on the machine shows here. */
  readonly loadAverage: string;
  readonly openFilesLimit: string;
}

const PACKAGES = ['ws', 'socket.io', 'engine.io', 'express', 'pg', '@electric-sql/pglite', 'jose'];

/** `ulimit -Hn`: a number, or `unlimited`. */
export function openFilesHardLimit(): string {
  return execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
}

export function machineInfo(openFilesLimit: string): MachineInfo {
  const roomcast = packageVersion('.');
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    kernel: release(),
    node: process.version,
    packages: {
      roomcast: `${roomcast} (${gitCommit()})`,
      ...Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(`node_modules/${name}`)])),
    },
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    openFilesLimit,
  };
}

/** What roomcast stores its events in, for the report. */
export async function storageDescription(postgresUrl: string | undefined): Promise<string> {
  if (!postgresUrl) return `embedded PGlite ${packageVersion('node_modules/@electric-sql/pglite')} (no DATABASE_URL)`;
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    const url = new URL(postgresUrl);
    return `PostgreSQL ${rows[0]?.server_version} at ${url.hostname}:${url.port || 5432} (DATABASE_URL)`;
  } finally {
    await client.end();
  }
}

function packageVersion(directory: string): string {
  return (JSON.parse(readFileSync(`${directory}/package.json`, 'utf8')) as { version: string }).version;
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const isDirty = execFileSync('git', ['status', '--porcelain', 'src'], { encoding: 'utf8' }).trim() !== '';
    return isDirty ? `${commit} + uncommitted changes in src` : commit;
  } catch {
    return 'no git';
  }
}
