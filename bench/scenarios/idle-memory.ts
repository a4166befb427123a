import { setTimeout as settle } from 'node:timers/promises';
import type { ConnectResult } from '../shared/commands.js';
import { residentBytes } from '../shared/proc-stats.js';
import type { BenchSettings } from '../settings.js';
import { type Session, connectSubscribers, roomNames } from './session.js';

export interface IdleMemoryResult {
  readonly connections: number;
  readonly rooms: number;
  readonly baselineBytes: number;
  readonly loadedBytes: number;
  readonly bytesPerConnection: number;
  readonly handshakesPerSecond: number;
  /** roomcast only: `join` ops answered per second (the others subscribe in the handshake). */
  readonly subscribesPerSecond: number | undefined;
  readonly connect: ConnectResult;
}

/** N idle subscribers over R rooms: server RSS growth per connection, and how fast they were accepted. */
export async function runIdleMemory(
  session: Session,
  settings: BenchSettings['idle'],
  handshakeConcurrency: number,
): Promise<IdleMemoryResult> {
  const { target, log } = session;
  const rooms = roomNames('idle', settings.rooms);
  await target.createRooms(rooms);
  await settle(settings.settleMs);
  const baselineBytes = residentBytes(target.address.serverPid);
  const perRoom = Math.ceil(settings.connections / settings.rooms);
  const { connect } = await connectSubscribers(session, rooms, perRoom, handshakeConcurrency);
  await settle(settings.settleMs);
  const loadedBytes = residentBytes(target.address.serverPid);
  const bytesPerConnection = (loadedBytes - baselineBytes) / connect.opened;
  const handshakesPerSecond = connect.opened / (connect.handshakeMs / 1000);
  log(
    `idle: ${(bytesPerConnection / 1024).toFixed(1)} KiB per connection, ${Math.round(handshakesPerSecond)} handshakes/s`,
  );
  return {
    connections: connect.opened,
    rooms: settings.rooms,
    baselineBytes,
    loadedBytes,
    bytesPerConnection,
    handshakesPerSecond,
    subscribesPerSecond: connect.subscribeMs > 0 ? connect.opened / (connect.subscribeMs / 1000) : undefined,
    connect,
  };
}
