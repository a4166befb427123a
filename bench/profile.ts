import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderProfile, summariseCpuProfile } from './report/cpu-profile.js';
import { runFanOut } from './scenarios/fan-out.js';
import { progress, withSession } from './scenarios/session.js';
import type { BenchSettings } from './settings.js';
import type { TargetLauncher } from './targets/target.js';

const TOP_ENTRIES = 20;

/**
 * `npm run bench -- --profile`: roomcast alone through the fan-out scenario under
 * `node --cpu-prof`, summarised as the functions with the most self time.
 */
export async function profileRoomcastFanOut(launcher: TargetLauncher, settings: BenchSettings): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'roomcast-cpu-prof-'));
  let scenarioStartMicros = 0;
  try {
    const fanOut = await withSession(
      launcher,
      (session) => {
        scenarioStartMicros = Number(process.hrtime.bigint() / 1000n);
        return runFanOut(session, settings.fanOut, settings.handshakeConcurrency, settings.warmUpMs);
      },
      { cpuProfileDir: directory },
    );
    const [file] = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('roomcast wrote no .cpuprofile (did it exit cleanly?)');
    const profile = JSON.parse(await readFile(join(directory, file), 'utf8')) as Parameters<
      typeof summariseCpuProfile
    >[0];
    const date = new Date().toISOString().slice(0, 10);
    const best = fanOut.best?.result.deliveredPerSecond;
    const markdown = [
      `# roomcast CPU profile under fan-out, ${date}`,
      '',
      `\`node --cpu-prof dist/main.js\` on core 0 (database: ${launcher.storage}), through the fan-out scenario ` +
        `(1 room × ${fanOut.subscribers}: ${settings.fanOut.fixedRate} events/s, then rising to ${fanOut.steps.at(-1)?.rate} events/s). ` +
        `Under the profiler: ${fanOut.cpuMicrosPerMessage.toFixed(2)} µs per message, best ${best === undefined ? '–' : Math.round(best)} msgs/s.`,
      '',
      'Samples from the start of the scenario on (server start-up left out).',
      '',
      renderProfile(summariseCpuProfile(profile, process.cwd(), scenarioStartMicros), TOP_ENTRIES),
      '',
    ].join('\n');
    process.stdout.write(`${markdown}\n`);
    if (!settings.isQuick) {
      await writeFile(`bench/results/${date}-profile.md`, markdown);
      progress('bench', `written to bench/results/${date}-profile.md`);
    }
  } finally {
    await launcher.dispose();
    await rm(directory, { recursive: true, force: true });
  }
}
