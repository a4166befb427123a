import { setTimeout as settle } from 'node:timers/promises';
import { residentBytes } from '../shared/proc-stats.js';
import type { TargetLauncher } from '../targets/target.js';
import { type IdleLadderResult, type LadderSettings, holdIdleConnections, ladderStartOptions } from './idle-ladder.js';
import { progress, withSession } from './session.js';

export interface EmbeddedFootprintResult {
  /** RSS ready and idle on a new DATA_DIR, and on the next start of the same one. */
  readonly firstStartBytes: number;
  readonly laterStartBytes: number;
  /** After the later start: idle users (members, presence on) held in steps, its baseline the later start's RSS. */
  readonly ladder: IdleLadderResult;
}

/**
 * The embedded server on a small machine (issue 16): its RSS ready and idle on a new data
 * directory and on a later start, then with idle users that joined their rooms as members.
 * `launcher` must run roomcast on the embedded database, with a DATA_DIR of its own.
 */
export async function runEmbeddedFootprint(
  launcher: TargetLauncher,
  settings: LadderSettings,
  handshakeConcurrency: number,
): Promise<EmbeddedFootprintResult> {
  const first = await launcher.start();
  await settle(settings.settleMs);
  const firstStartBytes = residentBytes(first.address.serverPid);
  await first.stop();
  return await withSession(
    launcher,
    async (session) => {
      await settle(settings.settleMs);
      const ladder = await holdIdleConnections(session, settings, handshakeConcurrency, true);
      const last = ladder.checkpoints.at(-1);
      const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
      progress(
        'roomcast',
        `embedded footprint: ${mb(firstStartBytes)} on a first start, ${mb(ladder.baselineBytes)} on a later one` +
          (last
            ? `, ${mb(last.rssBytes)} with ${last.connections} idle users (${(last.bytesPerConnection / 1024).toFixed(1)} KiB each)`
            : ''),
      );
      return { firstStartBytes, laterStartBytes: ladder.baselineBytes, ladder };
    },
    ladderStartOptions(settings),
  );
}
