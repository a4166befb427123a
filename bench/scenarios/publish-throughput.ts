import { median } from '../load/stats.js';
import type { BenchSettings } from '../settings.js';
import type { HammerResult, TargetAddress } from '../shared/commands.js';
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

/**
 * What idempotency keys cost: single-event POSTs without and with keys in alternating short runs
 * on the same rooms, so that drift of the machine (a checkpoint, a vacuum, a warming JIT) hits
 * both alike; the order within a round alternates too.
 */
export interface KeyCost {
  readonly rounds: readonly { readonly keyless: ThroughputRun; readonly keyed: ThroughputRun }[];
  /** The median over the rounds of keyed / keyless persisted events/s. */
  readonly ratio: number;
}

export interface PublishThroughputResult {
  readonly oneRoom: ThroughputRun;
  readonly manyRooms: ThroughputRun;
  readonly keyCost: KeyCost;
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
  const keyCost = await measureKeyCost(session, spread, settings, warmUpMs);
  const batched = await measure(session, spread, { concurrency: batchConcurrency, durationMs, batchSize }, warmUpMs);
  return { oneRoom, manyRooms, keyCost, batched };
}

async function measureKeyCost(
  session: Session,
  rooms: string[],
  settings: BenchSettings['publish'],
  warmUpMs: number,
): Promise<KeyCost> {
  const { concurrency, keyRounds, keyRoundMs: durationMs } = settings;
  await hammer(session, rooms, { concurrency, durationMs: warmUpMs, isKeyed: true });
  const rounds: KeyCost['rounds'][number][] = [];
  for (let round = 0; round < keyRounds; round += 1) {
    const run = (isKeyed: boolean) => measureOnce(session, rooms, { concurrency, durationMs, isKeyed });
    if (round % 2 === 0) {
      const keyless = await run(false);
      rounds.push({ keyless, keyed: await run(true) });
    } else {
      const keyed = await run(true);
      rounds.push({ keyless: await run(false), keyed });
    }
  }
  const ratios = rounds.map(({ keyless, keyed }) => keyed.persistedPerSecond / keyless.persistedPerSecond);
  return { rounds, ratio: median(ratios) };
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
  await session.target.createRooms(rooms);
  await hammer(session, rooms, { ...shape, durationMs: warmUpMs });
  return measureOnce(session, rooms, shape);
}

function hammer(session: Session, rooms: string[], shape: HammerShape): Promise<HammerResult> {
  return session.load.run({ kind: 'hammer', rooms, ...shape });
}

async function measureOnce(session: Session, rooms: string[], shape: HammerShape): Promise<ThroughputRun> {
  const { target, log } = session;
  const before = await storedEvents(target.address, rooms);
  const result = await hammer(session, rooms, shape);
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
