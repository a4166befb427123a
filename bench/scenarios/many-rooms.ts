import type { PublishResult } from '../shared/commands.js';
import type { BenchSettings } from '../settings.js';
import { type Session, type SubscriberSetup, connectSubscribers, roomNames } from './session.js';

export interface ManyRoomsResult {
  readonly rooms: number;
  readonly perRoom: number;
  readonly rate: number;
  readonly setup: SubscriberSetup;
  readonly result: PublishResult;
}

/**
 * R rooms × S subscribers, events at a fixed total rate spread round-robin: latency POST →
 * delivery. `asUsers` (roomcast): the subscribers are users joining their rooms, not the service.
 */
export async function runManyRooms(
  session: Session,
  settings: BenchSettings['manyRooms'],
  handshakeConcurrency: number,
  warmUpMs: number,
  asUsers = false,
): Promise<ManyRoomsResult> {
  const { target, load, log } = session;
  // Users and the service get rooms of their own: each run starts on rooms nobody joined yet.
  const rooms = roomNames(asUsers ? 'many-users' : 'many', settings.rooms);
  await target.createRooms(rooms);
  const setup = await connectSubscribers(session, rooms, settings.perRoom, handshakeConcurrency, asUsers);
  const publish = (durationMs: number) =>
    load.run({ kind: 'publish', rooms, rate: settings.rate, durationMs, sampleEvery: settings.sampleEvery });
  await publish(warmUpMs);
  const result = await publish(settings.durationMs);
  log(
    `many rooms: p50 ${result.latency.p50.toFixed(1)} / p99 ${result.latency.p99.toFixed(1)} ms, ` +
      `server CPU ${result.publishing.processPercent.toFixed(0)}%, loss ${(result.loss * 100).toFixed(2)}%`,
  );
  return { rooms: settings.rooms, perRoom: settings.perRoom, rate: settings.rate, setup, result };
}
