import type { HammerResult, TargetAddress } from '../shared/commands.js';
import type { BenchSettings } from '../settings.js';
import { type Session, roomNames } from './session.js';

/** Throughput on one set of rooms. */
export interface ThroughputRun {
  readonly rooms: number;
  /** Events per POST (`POST /v1/events`); undefined: one event per POST to the room's route. */
  readonly batchSize?: number;
  /** Each POST carried an `Idempotency-Key` of its own. */
  readonly isKeyed?: boolean;
  readonly concurrency: number;
  readonly result: HammerResult;
  /** Events the database holds now that it did not before (sum of the rooms' lastSeq growth). */
  readonly persisted: number;
  readonly persistedPerSecond: number;
}

export interface PublishThroughputResult {
  readonly oneRoom: ThroughputRun;
  readonly manyRooms: ThroughputRun;
  /** As `manyRooms`, each POST with an `Idempotency-Key` of its own (absent in results from before keys). */
  readonly keyed?: ThroughputRun;
  readonly batched: ThroughputRun;
}

/** roomcast only: events/s accepted over REST with no subscribers, by concurrent back-to-back publishers. */
export async function runPublishThroughput(
  session: Session,
  settings: BenchSettings['publish'],
  warmUpMs: number,
): Promise<PublishThroughputResult> {
  const { concurrency, batchSize, batchConcurrency, durationMs } = settings;
  const spread = roomNames('spread', settings.rooms);
  const oneRoom = await measure(session, roomNames('single', 1), { concurrency, durationMs }, warmUpMs);
  const manyRooms = await measure(session, spread, { concurrency, durationMs }, warmUpMs);
  const keyed = await measure(session, spread, { concurrency, durationMs, isKeyed: true }, warmUpMs);
  const batched = await measure(session, spread, { concurrency: batchConcurrency, durationMs, batchSize }, warmUpMs);
  return { oneRoom, manyRooms, keyed, batched };
}

interface HammerShape {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly batchSize?: number;
  readonly isKeyed?: boolean;
}

async function measure(
  session: Session,
  rooms: string[],
  shape: HammerShape,
  warmUpMs: number,
): Promise<ThroughputRun> {
  const { target, load, log } = session;
  await target.createRooms(rooms);
  const hammer = (durationMs: number) => load.run({ kind: 'hammer', rooms, ...shape, durationMs });
  await hammer(warmUpMs);
  const before = await storedEvents(target.address, rooms);
  const result = await hammer(shape.durationMs);
  const persisted = (await storedEvents(target.address, rooms)) - before;
  if (result.failed > 0) log(`publish: ${result.failed} POSTs failed, first: ${result.firstError}`);
  const persistedPerSecond = persisted / (result.usage.wallMs / 1000);
  log(
    `publish on ${rooms.length} room(s)${shape.batchSize ? ` in batches of ${shape.batchSize}` : ''}` +
      `${shape.isKeyed ? ' with idempotency keys' : ''}: ` +
      `${Math.round(persistedPerSecond)} persisted events/s, p99 ${result.post.p99.toFixed(1)} ms`,
  );
  return {
    rooms: rooms.length,
    isKeyed: shape.isKeyed,
    batchSize: shape.batchSize,
    concurrency: shape.concurrency,
    result,
    persisted,
    persistedPerSecond,
  };
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
