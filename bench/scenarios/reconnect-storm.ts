import type { StormResult } from '../shared/commands.js';
import type { BenchSettings } from '../settings.js';
import { type Session, type SubscriberSetup, connectSubscribers, roomNames } from './session.js';

export interface ReconnectStormResult {
  readonly rooms: number;
  readonly perRoom: number;
  /** The first connect: upgrade + join (roomcast: users becoming members; the others: the upgrade). */
  readonly setup: SubscriberSetup;
  readonly firstJoinsPerSecond: number;
  readonly storm: StormResult;
  readonly rejoinsPerSecond: number;
  readonly serverCpuMsPerRejoin: number;
  readonly framesPerClient: number;
}

/**
 * R rooms × S subscribers (roomcast: users, each a member of its room) connect and join; then all
 * drop at once and reconnect, rejoining with `since`: how fast they are all back and caught up,
 * what it costs the server, and how many frames the storm sends each client.
 */
export async function runReconnectStorm(
  session: Session,
  settings: BenchSettings['storm'],
  handshakeConcurrency: number,
): Promise<ReconnectStormResult> {
  const { target, load, log } = session;
  const rooms = roomNames('storm', settings.rooms);
  await target.createRooms(rooms);
  const asUsers = target.address.kind === 'roomcast';
  const setup = await connectSubscribers(session, rooms, settings.perRoom, handshakeConcurrency, asUsers);
  const storm = await load.run({ kind: 'storm', concurrency: handshakeConcurrency });
  if (storm.rejoined < storm.clients) {
    throw new Error(`${storm.clients - storm.rejoined} clients did not rejoin: ${storm.firstError}`);
  }
  if (storm.recovered < storm.clients) throw new Error(`${storm.clients - storm.recovered} rejoins not recovered`);
  if (!storm.isQuiet) throw new Error('frames still arriving long after the storm');
  const { connect } = setup;
  const result = {
    rooms: settings.rooms,
    perRoom: settings.perRoom,
    setup,
    firstJoinsPerSecond: connect.opened / ((connect.handshakeMs + connect.subscribeMs) / 1000),
    storm,
    rejoinsPerSecond: storm.rejoined / (storm.rejoinMs / 1000),
    serverCpuMsPerRejoin: storm.rejoin.processCpuMs / storm.rejoined,
    framesPerClient: storm.frames / storm.clients,
  };
  log(
    `reconnect storm: ${Math.round(result.rejoinsPerSecond)} rejoins/s, ` +
      `${result.serverCpuMsPerRejoin.toFixed(2)} ms server CPU each, ${result.framesPerClient.toFixed(1)} frames per client`,
  );
  return result;
}
