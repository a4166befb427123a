import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { compileBenchPrograms } from './compile.js';
import { machineInfo, openFilesHardLimit, storageDescription } from './report/machine.js';
import { renderMarkdown } from './report/markdown.js';
import type { BenchResults, TargetResults } from './report/results.js';
import { updateReadme, writeResults } from './report/write-results.js';
import { runEmbeddedFootprint } from './scenarios/embedded-footprint.js';
import { runFanOut } from './scenarios/fan-out.js';
import { runPeerLadder } from './scenarios/idle-ladder.js';
import { runIdleMemory } from './scenarios/idle-memory.js';
import { runManyRooms } from './scenarios/many-rooms.js';
import { runPublishThroughput } from './scenarios/publish-throughput.js';
import { runReconnectStorm } from './scenarios/reconnect-storm.js';
import { runSqlPublishLatency } from './scenarios/sql-publish-latency.js';
import { type Session, progress, withSession } from './scenarios/session.js';
import { isProfiledScenario, profileRoomcast } from './profile.js';
import { type BenchSettings, benchSettings } from './settings.js';
import { TARGET_KINDS, type TargetKind } from './shared/commands.js';
import { peerLauncher } from './targets/peer-target.js';
import { roomcastLauncher } from './targets/roomcast-target.js';
import type { TargetLauncher } from './targets/target.js';
import { type BenchWebhooks, benchWebhooks } from './targets/webhook-receiver.js';

type TargetScenario = keyof Omit<TargetResults, 'errors'>;

/**
 * The scenarios every target runs, in this order; each target takes its turn before the next
 * scenario. Those with `hasUserVariant` run roomcast twice: with user subscribers (members of
 * their rooms, presence on: the measure the targets are judged by), then with the service token.
 */
const SCENARIOS: readonly {
  readonly name: Exclude<TargetScenario, 'fanOutSse'>;
  readonly hasUserVariant: boolean;
  readonly run: (
    session: Session,
    settings: BenchSettings,
    asUsers: boolean,
  ) => Promise<NonNullable<TargetResults[TargetScenario]>>;
  /** roomcast once more, its subscribers (users) on event streams instead of WebSockets; filed under `fanOutSse`. */
  readonly runOverSse?: (session: Session, settings: BenchSettings) => Promise<NonNullable<TargetResults['fanOutSse']>>;
}[] = [
  {
    name: 'fanOut',
    hasUserVariant: true,
    run: (s, b, asUsers) => runFanOut(s, b.fanOut, b.handshakeConcurrency, b.warmUpMs, asUsers),
    runOverSse: (s, b) => runFanOut(s, b.fanOut, b.handshakeConcurrency, b.warmUpMs, true, 'sse'),
  },
  {
    name: 'manyRooms',
    hasUserVariant: true,
    run: (s, b, asUsers) => runManyRooms(s, b.manyRooms, b.handshakeConcurrency, b.warmUpMs, asUsers),
  },
  { name: 'idle', hasUserVariant: false, run: (s, b) => runIdleMemory(s, b.idle, b.handshakeConcurrency) },
  { name: 'storm', hasUserVariant: false, run: (s, b) => runReconnectStorm(s, b.storm, b.handshakeConcurrency) },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const isQuick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
  const settings = withFootprintOptions(benchSettings(isQuick), args);
  const openFilesLimit = openFilesHardLimit();
  checkMachine(settings, openFilesLimit);
  if (!args.includes('--no-build')) buildRoomcast();
  await compileBenchPrograms();
  const postgresUrl = process.env.DATABASE_URL || undefined;
  const webhooks = await benchWebhooks(args);
  const roomcastEnv = webhooks?.env ?? {};
  const storage = `${await storageDescription(postgresUrl)}${webhooks?.note ?? ''}`;
  const profiled = args.find((arg) => arg === '--profile' || arg.startsWith('--profile='));
  if (profiled) {
    const scenario = profiled.slice('--profile='.length) || 'fanOut';
    if (!isProfiledScenario(scenario))
      throw new Error(`--profile=${scenario}: one of fanOut, manyRooms, publish, storm`);
    return profileRoomcast(await roomcastLauncher(postgresUrl, storage, roomcastEnv), settings, scenario);
  }

  const startedAt = Date.now();
  const kinds = selectedKinds(args);
  const scenarios = selectedScenarios(args);
  const launchers = await Promise.all(
    kinds.map((kind) =>
      kind === 'roomcast' ? roomcastLauncher(postgresUrl, storage, roomcastEnv) : Promise.resolve(peerLauncher(kind)),
    ),
  );
  const results: BenchResults = {
    date: new Date().toISOString().slice(0, 10),
    command: commandLine(args),
    settings,
    machine: machineInfo(openFilesLimit),
    storage,
    targets: Object.fromEntries(kinds.map((kind) => [kind, { errors: {} }])),
  };
  try {
    for (const scenario of SCENARIOS.filter((candidate) => scenarios.has(candidate.name))) {
      for (const launcher of launchers) {
        const hasUsers = launcher.kind === 'roomcast' && scenario.hasUserVariant;
        const target = results.targets[launcher.kind]!;
        const label = hasUsers ? `${scenario.name} (user subscribers)` : scenario.name;
        await runScenario(launcher, scenario.name, label, target, (s) => scenario.run(s, settings, hasUsers));
        if (launcher.kind === 'roomcast' && scenario.runOverSse) {
          const overSse = scenario.runOverSse;
          const sseLabel = `${scenario.name} over event streams (user subscribers)`;
          await runScenario(launcher, 'fanOutSse', sseLabel, target, (s) => overSse(s, settings));
        }
        if (!hasUsers) continue;
        results.roomcastAsService ??= { errors: {} };
        await runScenario(
          launcher,
          scenario.name,
          `${scenario.name} (service-token subscribers)`,
          results.roomcastAsService,
          (s) => scenario.run(s, settings, false),
        );
      }
    }
    await runRoomcastOnly(results, launchers, settings, postgresUrl, storage, scenarios);
    if (scenarios.has('footprint') && hasFootprintLadder(args))
      results.footprintPeers = await peerFootprints(launchers, settings);
    if (postgresUrl && kinds.includes('roomcast')) await runOnEmbedded(results, settings, scenarios, webhooks);
  } finally {
    await Promise.all(launchers.map((launcher) => launcher.dispose()));
    if (webhooks) progress('bench', `webhooks: ${webhooks.received()} received`);
    await webhooks?.close();
  }
  results.durationMs = Date.now() - startedAt;
  const markdown = renderMarkdown(results);
  process.stdout.write(`${markdown}\n`);
  if (isQuick || kinds.length < TARGET_KINDS.length || scenarios.size < ALL_SCENARIOS.length)
    return progress('bench', 'quick or partial run: nothing written');
  const path = await writeResults(results, markdown);
  await updateReadme(markdown);
  progress('bench', `written to ${path} and bench/README.md`);
}

/** Runs one scenario in a fresh session and files its result (or why it failed) under `name`. */
async function runScenario(
  launcher: TargetLauncher,
  name: TargetScenario,
  label: string,
  target: TargetResults,
  run: (session: Session) => Promise<NonNullable<TargetResults[TargetScenario]>>,
): Promise<void> {
  progress(launcher.kind, `${label}: starting`);
  try {
    Object.assign(target, { [name]: await withSession(launcher, run) });
  } catch (error) {
    target.errors[name] = error instanceof Error ? error.message : String(error);
    progress(launcher.kind, `${label} failed: ${target.errors[name]}`);
  }
}

/** Publish throughput and scale-out: roomcast's own scenarios. */
async function runRoomcastOnly(
  results: BenchResults,
  launchers: readonly TargetLauncher[],
  settings: BenchSettings,
  postgresUrl: string | undefined,
  storage: string,
  scenarios: ReadonlySet<ScenarioName>,
): Promise<void> {
  const roomcast = launchers.find((launcher) => launcher.kind === 'roomcast');
  if (!roomcast) return;
  if (scenarios.has('publish')) {
    progress('roomcast', 'publish throughput: starting');
    try {
      results.publish = await withSession(roomcast, (s) =>
        runPublishThroughput(s, settings.publish, settings.warmUpMs),
      );
    } catch (error) {
      results.publish = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  if (scenarios.has('sqlPublish')) results.sqlPublish = await measureSqlPublish(roomcast, settings, postgresUrl);
  if (scenarios.has('footprint')) results.footprint = await measureFootprint(settings);
  if (!scenarios.has('scaleOut')) return;
  if (!process.env.REDIS_URL) {
    results.scaleOut = { skipped: 'not run: REDIS_URL is not set' };
    return;
  }
  // A prefix of its own keeps the run's channels apart from anything else using the same Redis.
  const withRedis = await roomcastLauncher(postgresUrl, `${storage}, REDIS_URL`, {
    REDIS_URL: process.env.REDIS_URL!,
    REDIS_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
  });
  progress('roomcast', 'scale-out: the fan-out scenario (user subscribers) through Redis');
  try {
    const fanOut = await withSession(withRedis, (s) =>
      runFanOut(s, settings.fanOut, settings.handshakeConcurrency, settings.warmUpMs, true),
    );
    results.scaleOut = { withRedis: fanOut, withoutRedis: results.targets.roomcast?.fanOut };
  } catch (error) {
    results.scaleOut = { skipped: `failed: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    await withRedis.dispose();
  }
}

/** Commit → push latency of events published from SQL; PostgreSQL only. */
async function measureSqlPublish(
  roomcast: TargetLauncher,
  settings: BenchSettings,
  postgresUrl: string | undefined,
): Promise<NonNullable<BenchResults['sqlPublish']>> {
  if (!postgresUrl) return { skipped: 'not run: publishing from SQL needs DATABASE_URL' };
  progress('roomcast', 'publishing from SQL: starting');
  try {
    return await withSession(roomcast, (s) => runSqlPublishLatency(s, settings.sqlPublish));
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** With DATABASE_URL, every roomcast scenario again on the embedded database (user subscribers where they apply). */
async function runOnEmbedded(
  results: BenchResults,
  settings: BenchSettings,
  scenarios: ReadonlySet<ScenarioName>,
  webhooks: BenchWebhooks | undefined,
): Promise<void> {
  const storage = `${await storageDescription(undefined)}${webhooks?.note ?? ''}`;
  const launcher = await roomcastLauncher(undefined, storage, webhooks?.env);
  const embedded: NonNullable<BenchResults['embedded']> = { targets: { errors: {} } };
  results.embedded = embedded;
  try {
    for (const scenario of SCENARIOS.filter((candidate) => scenarios.has(candidate.name))) {
      const label = `${scenario.name} on the embedded database`;
      await runScenario(launcher, scenario.name, label, embedded.targets, (s) =>
        scenario.run(s, settings, scenario.hasUserVariant),
      );
    }
    if (!scenarios.has('publish')) return;
    progress('roomcast', 'publish throughput on the embedded database: starting');
    embedded.publish = await withSession(launcher, (s) =>
      runPublishThroughput(s, settings.publish, settings.warmUpMs),
    ).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
  } finally {
    await launcher.dispose();
  }
}

/** The embedded server's footprint, on a launcher of its own (a new DATA_DIR), whatever DATABASE_URL says. */
async function measureFootprint(settings: BenchSettings): Promise<BenchResults['footprint']> {
  progress('roomcast', 'embedded footprint: starting');
  const launcher = await roomcastLauncher(undefined, await storageDescription(undefined));
  try {
    return await runEmbeddedFootprint(launcher, settings.footprint, settings.handshakeConcurrency);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    await launcher.dispose();
  }
}

/** With `--footprint-connections`: each peer target through the footprint's idle ladder, for comparison. */
async function peerFootprints(
  launchers: readonly TargetLauncher[],
  settings: BenchSettings,
): Promise<NonNullable<BenchResults['footprintPeers']>> {
  const footprints: NonNullable<BenchResults['footprintPeers']> = {};
  for (const launcher of launchers.filter((candidate) => candidate.kind !== 'roomcast')) {
    progress(launcher.kind, 'idle ladder (the footprint scenario): starting');
    footprints[launcher.kind] = await runPeerLadder(launcher, settings.footprint, settings.handshakeConcurrency).catch(
      (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
    );
  }
  return footprints;
}

function hasFootprintLadder(args: readonly string[]): boolean {
  return args.some((arg) => arg.startsWith('--footprint-connections='));
}

/** `--footprint-connections=N` and `--footprint-diagnostics=DIR` (see bench/README.md). */
function withFootprintOptions(settings: BenchSettings, args: readonly string[]): BenchSettings {
  const value = (name: string) => args.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
  const connections = value('--footprint-connections');
  const diagnosticsDir = value('--footprint-diagnostics');
  if (connections !== undefined && !(Number.isInteger(Number(connections)) && Number(connections) > 0))
    throw new Error(`--footprint-connections=${connections}: a positive whole number of connections`);
  return {
    ...settings,
    footprint: {
      ...settings.footprint,
      ...(connections === undefined ? {} : { connections: Number(connections) }),
      ...(diagnosticsDir === undefined ? {} : { diagnosticsDir: resolve(diagnosticsDir) }),
    },
  };
}

const ALL_SCENARIOS = [
  'fanOut',
  'manyRooms',
  'idle',
  'storm',
  'publish',
  'sqlPublish',
  'footprint',
  'scaleOut',
] as const;
type ScenarioName = (typeof ALL_SCENARIOS)[number];

function selectedScenarios(args: readonly string[]): Set<ScenarioName> {
  const chosen = args.find((arg) => arg.startsWith('--scenarios='))?.slice('--scenarios='.length);
  if (!chosen) return new Set(ALL_SCENARIOS);
  // Kebab case is taken too: --scenarios=fan-out,many-rooms.
  const names = chosen.split(',').map((name) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()));
  const unknown = names.filter((name) => !(ALL_SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(`unknown scenarios: ${unknown.join(', ')} (known: ${ALL_SCENARIOS.join(', ')})`);
  return new Set(names as ScenarioName[]);
}

function selectedKinds(args: readonly string[]): TargetKind[] {
  const chosen = args.find((arg) => arg.startsWith('--targets='))?.slice('--targets='.length);
  if (!chosen) return [...TARGET_KINDS];
  const kinds = chosen.split(',') as TargetKind[];
  const unknown = kinds.filter((kind) => !TARGET_KINDS.includes(kind));
  if (unknown.length > 0) throw new Error(`unknown targets: ${unknown.join(', ')} (known: ${TARGET_KINDS.join(', ')})`);
  return kinds;
}

function checkMachine(settings: BenchSettings, openFilesLimit: string): void {
  if (cpus().length < 2)
    throw new Error('the benchmark pins the server and the load generator to two cores; this machine has one');
  if (spawnSync('taskset', ['--version']).status !== 0) throw new Error('taskset (util-linux) is required');
  const openFiles = Number(openFilesLimit);
  const needed = Math.max(settings.idle.connections, settings.footprint.connections) + 1000;
  if (openFiles < needed) {
    progress(
      'bench',
      `warning: the open-file hard limit is ${openFiles}; the idle and footprint scenarios need about ${needed} ` +
        '(the footprint tries to raise it, which needs root with CAP_SYS_RESOURCE)',
    );
  }
}

function buildRoomcast(): void {
  progress('bench', 'npm run build');
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}

/** The command as typed, with the settings that change what is measured (a database password masked). */
function commandLine(args: readonly string[]): string {
  const env = ['DATABASE_URL', 'REDIS_URL', 'BENCH_QUICK']
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]!.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@')}`);
  return [...env, 'npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
