import type { HammerResult, TargetAddress } from '../shared/commands.js';
import type { BenchSettings } from '../settings.js';
import { type Session, roomNames } from './session.js';

/** Throughput on one set of rooms. */
export interface ThroughputRun {
  readonly rooms: number;
  readonly result: HammerResult;
  /** Events the database holds now that it did not before (sum of the rooms' lastSeq growth). */
  readonly persisted: number;
  readonly persistedPerSecond: number;
}

export interface PublishThroughputResult {
  readonly oneRoom: ThroughputRun;
  readonly manyRooms: ThroughputRun;
  readonly concurrency: number;
}

/** roomcast only: events/s accepted over REST with no subscribers, by concurrent back-to-back publishers. */
export async function runPublishThroughput(
  session: Session,
  settings: BenchSettings['publish'],
  warmUpMs: number,
): Promise<PublishThroughputResult> {
  const oneRoom = await measure(session, roomNames('single', 1), settings, warmUpMs);
  const manyRooms = await measure(session, roomNames('spread', settings.rooms), settings, warmUpMs);
  return { oneRoom, manyRooms, concurrency: settings.concurrency };
}

async function measure(
  session: Session,
  rooms: string[],
  settings: BenchSettings['publish'],
  warmUpMs: number,
): Promise<ThroughputRun> {
  const { target, load, log } = session;
  await target.createRooms(rooms);
  const hammer = (durationMs: number) =>
    load.run({ kind: 'hammer', rooms, concurrency: settings.concurrency, durationMs });
  await hammer(warmUpMs);
  const before = await storedEvents(target.address, rooms);
  const result = await hammer(settings.durationMs);
  const persisted = (await storedEvents(target.address, rooms)) - before;
  if (result.failed > 0) log(`publish: ${result.failed} POSTs failed, first: ${result.firstError}`);
  const persistedPerSecond = persisted / (result.usage.wallMs / 1000);
  log(
    `publish on ${rooms.length} room(s): ${Math.round(persistedPerSecond)} persisted events/s, p99 ${result.post.p99.toFixed(1)} ms`,
  );
  return { rooms: rooms.length, result, persisted, persistedPerSecond };
}

/** The sum of the rooms' last seq: with seqs gapless from 1, the number of events each room ever stored. */
async function storedEvents(address: TargetAddress, rooms: readonly string[]): Promise<number> {
  let total = 0;
  for (const room of rooms) {
    const res = await fetch(`http://${address.host}:${address.port}/v1/rooms/${room}`, {
      headers: { authorization: `Bearer ${address.token}` },
    });
    if (!res.ok) throw new Error(`reading room ${room}: ${res.status}`);
    total += ((await res.json()) as { lastSeq: number }).lastSeq;
  }
  return total;
}
