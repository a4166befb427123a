import { setTimeout as settle } from 'node:timers/promises';
import { residentBytes } from '../shared/proc-stats.js';
import type { BenchSettings } from '../settings.js';
import type { TargetLauncher } from '../targets/target.js';
import { connectSubscribers, progress, roomNames, withSession } from './session.js';

export interface EmbeddedFootprintResult {
  /** RSS ready and idle on a new DATA_DIR, and on the next start of the same one. */
  readonly firstStartBytes: number;
  readonly laterStartBytes: number;
  /** RSS with `connections` idle users (members, presence on) over `rooms`, after a later start. */
  readonly loadedBytes: number;
  readonly connections: number;
  readonly rooms: number;
  readonly bytesPerConnection: number;
}

/**
 * The embedded server on a small machine (issue 16): its RSS ready and idle on a new data
 * directory and on a later start, then with idle users that joined their rooms as members.
 * `launcher` must run roomcast on the embedded database, with a DATA_DIR of its own.
 */
export async function runEmbeddedFootprint(
  launcher: TargetLauncher,
  settings: BenchSettings['footprint'],
  handshakeConcurrency: number,
): Promise<EmbeddedFootprintResult> {
  const first = await launcher.start();
  await settle(settings.settleMs);
  const firstStartBytes = residentBytes(first.address.serverPid);
  await first.stop();
  return await withSession(launcher, async (session) => {
    await settle(settings.settleMs);
    const laterStartBytes = residentBytes(session.target.address.serverPid);
    const rooms = roomNames('footprint', settings.rooms);
    await session.target.createRooms(rooms);
    const perRoom = Math.ceil(settings.connections / settings.rooms);
    const { connect } = await connectSubscribers(session, rooms, perRoom, handshakeConcurrency, true);
    await settle(settings.settleMs);
    const loadedBytes = residentBytes(session.target.address.serverPid);
    const result = {
      firstStartBytes,
      laterStartBytes,
      loadedBytes,
      connections: connect.opened,
      rooms: settings.rooms,
      bytesPerConnection: (loadedBytes - laterStartBytes) / connect.opened,
    };
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    progress(
      'roomcast',
      `embedded footprint: ${mb(firstStartBytes)} on a first start, ${mb(laterStartBytes)} on a later one, ` +
        `${mb(loadedBytes)} with ${connect.opened} idle users (${(result.bytesPerConnection / 1024).toFixed(1)} KiB each)`,
    );
    return result;
  });
}
