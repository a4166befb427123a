import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderProfile, summariseCpuProfile } from './report/cpu-profile.js';
import { runFanOut } from './scenarios/fan-out.js';
import { runManyRooms } from './scenarios/many-rooms.js';
import { runPublishThroughput } from './scenarios/publish-throughput.js';
import { runReconnectStorm } from './scenarios/reconnect-storm.js';
import { type Session, progress, withSession } from './scenarios/session.js';
import type { BenchSettings } from './settings.js';
import type { TargetLauncher } from './targets/target.js';

const TOP_ENTRIES = 20;

/** The scenarios a profile can run roomcast through, and how each is described in the report. */
const PROFILED = {
  fanOut: async (session: Session, settings: BenchSettings) => {
    const fanOut = await runFanOut(session, settings.fanOut, settings.handshakeConcurrency, settings.warmUpMs, true);
    const best = fanOut.best?.result.deliveredPerSecond;
    return (
      `the fan-out scenario (1 room × ${fanOut.subscribers} user subscribers: ${settings.fanOut.fixedRate} events/s, then rising to ` +
      `${fanOut.steps.at(-1)?.rate} events/s). Under the profiler: ${fanOut.cpuMicrosPerMessage.toFixed(2)} µs per ` +
      `message, best ${best === undefined ? '–' : Math.round(best)} msgs/s.`
    );
  },
  manyRooms: async (session: Session, settings: BenchSettings) => {
    const { result } = await runManyRooms(
      session,
      settings.manyRooms,
      settings.handshakeConcurrency,
      settings.warmUpMs,
      true,
    );
    const { rooms, perRoom, rate } = settings.manyRooms;
    return (
      `the many-rooms scenario (${rooms} rooms × ${perRoom} user subscribers, ${rate} events/s). Under the profiler: p99 ` +
      `${result.latency.p99.toFixed(1)} ms, server CPU ${result.publishing.processPercent.toFixed(0)} %.`
    );
  },
  publish: async (session: Session, settings: BenchSettings) => {
    const { oneRoom, manyRooms, keyCost, batched } = await runPublishThroughput(
      session,
      settings.publish,
      settings.warmUpMs,
    );
    const rows = [oneRoom, manyRooms, batched].map(
      (run) => `${run.rooms} rooms × ${run.batchSize ?? 1}: ${Math.round(run.persistedPerSecond)}/s`,
    );
    return (
      `the publish-throughput scenario. Under the profiler, persisted events/s: ${rows.join('; ')}; ` +
      `keyed ÷ keyless ${keyCost.ratio.toFixed(2)}.`
    );
  },
  storm: async (session: Session, settings: BenchSettings) => {
    const storm = await runReconnectStorm(session, settings.storm, settings.handshakeConcurrency);
    return (
      `the reconnect-storm scenario (${storm.rooms} rooms × ${storm.perRoom} users connect and join, then all drop and ` +
      `rejoin with since). Under the profiler: ${Math.round(storm.firstJoinsPerSecond)} first joins/s, ` +
      `${Math.round(storm.rejoinsPerSecond)} rejoins/s, ${storm.serverCpuMsPerRejoin.toFixed(2)} ms server CPU per rejoin.`
    );
  },
} as const;

export type ProfiledScenario = keyof typeof PROFILED;

export function isProfiledScenario(name: string): name is ProfiledScenario {
  return Object.hasOwn(PROFILED, name);
}

/**
 * `npm run bench -- --profile[=fanOut|manyRooms|publish|storm]`: roomcast alone through one scenario
 * under `node --cpu-prof`, summarised as the functions with the most self time.
 */
export async function profileRoomcast(
  launcher: TargetLauncher,
  settings: BenchSettings,
  scenario: ProfiledScenario,
): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'roomcast-cpu-prof-'));
  let scenarioStartMicros = 0;
  try {
    const description = await withSession(
      launcher,
      (session) => {
        scenarioStartMicros = Number(process.hrtime.bigint() / 1000n);
        return PROFILED[scenario](session, settings);
      },
      { cpuProfileDir: directory },
    );
    const [file] = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('roomcast wrote no .cpuprofile (did it exit cleanly?)');
    const profile = JSON.parse(await readFile(join(directory, file), 'utf8')) as Parameters<
      typeof summariseCpuProfile
    >[0];
    const date = new Date().toISOString().slice(0, 10);
    const markdown = [
      `# roomcast CPU profile under ${scenario}, ${date}`,
      '',
      `\`node --cpu-prof dist/main.js\` on core 0 (database: ${launcher.storage}), through ${description}`,
      '',
      'Samples from the start of the scenario on (server start-up left out).',
      '',
      renderProfile(summariseCpuProfile(profile, process.cwd(), scenarioStartMicros), TOP_ENTRIES),
      '',
    ].join('\n');
    process.stdout.write(`${markdown}\n`);
    if (!settings.isQuick) {
      const path = `bench/results/${date}-profile-${scenario}.md`;
      await writeFile(path, markdown);
      progress('bench', `written to ${path}`);
    }
  } finally {
    await launcher.dispose();
    await rm(directory, { recursive: true, force: true });
  }
}
