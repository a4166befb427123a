import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BatchedEventAppender,
  MAX_BATCH_DATA_CHARS,
  MAX_BATCH_EVENTS,
} from '../../src/database/batched-event-appender.js';
import { PgUnitOfWork } from '../../src/database/pg-unit-of-work.js';
import { RoomNotFound } from '../../src/domain/errors.js';
import type { RoomEvent } from '../../src/domain/room-event.js';
import { type TestDatabase, countingStatements, onBothDatabases } from '../support/databases.js';

onBothDatabases('batched appends', batchingContract);

function batchingContract(open: () => Promise<TestDatabase>): void {
  let database: TestDatabase;
  let roomCounter = 0;

  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database?.dispose());

  async function newRooms(count: number): Promise<string[]> {
    const uow = new PgUnitOfWork(database.db);
    const ids = Array.from({ length: count }, () => `batch-room-${(roomCounter += 1)}`);
    for (const id of ids) await uow.repos.rooms.create({ id, name: id, capacity: 10, epoch: 'e' });
    return ids;
  }

  const event = (room: string, data: unknown = null, sender = 'ann') => ({ room, type: 'msg', data, sender });

  it('sends the first append at once and the ones made meanwhile together, in batches of bounded size', async () => {
    const [room] = await newRooms(1);
    const sql = countingStatements(database.db);
    const appender = new BatchedEventAppender(sql);
    const first = appender.append(event(room!));
    expect(sql.statements).toBe(1);
    const waiting = Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => appender.append(event(room!)));
    const seqs = (await Promise.all([first, ...waiting])).map((stored) => stored.seq);
    expect(seqs).toEqual(Array.from({ length: MAX_BATCH_EVENTS + 2 }, (_, index) => index + 1));
    expect(sql.statements).toBe(3);
  });

  it('ends a batch before its data outgrows the bound', async () => {
    const [room] = await newRooms(1);
    const sql = countingStatements(database.db);
    const appender = new BatchedEventAppender(sql);
    const big = 'x'.repeat(Math.ceil(MAX_BATCH_DATA_CHARS * 0.4));
    const appends = Array.from({ length: 4 }, () => appender.append(event(room!, big)));
    // The first goes alone; the next two fit under the bound together; the last one does not.
    expect((await Promise.all(appends)).map((stored) => stored.seq)).toEqual([1, 2, 3, 4]);
    expect(sql.statements).toBe(3);
  });

  it('on a database that blocks the event loop, lets the appends of the same turn go together', async () => {
    const [room] = await newRooms(1);
    const sql = countingStatements(database.db);
    const appender = new BatchedEventAppender(sql, { waitsForIoFirst: true });
    const appends = [appender.append(event(room!)), appender.append(event(room!))];
    expect(sql.statements).toBe(0);
    expect((await Promise.all(appends)).map((stored) => stored.seq)).toEqual([1, 2]);
    expect(sql.statements).toBe(1);
  });

  it('rejects every append of a failing statement, and the next batch still runs', async () => {
    const [room] = await newRooms(1);
    const appender = new BatchedEventAppender(database.db);
    const first = appender.append(event(room!));
    // PostgreSQL text cannot hold NUL: the statement carrying this sender fails as a whole.
    const failing = [
      appender.append(event(room!)),
      appender.append(event(room!, 1, 'nul\u0000')),
      appender.append(event(room!)),
    ];
    await expect(first).resolves.toMatchObject({ seq: 1 });
    for (const append of failing) await expect(append).rejects.toThrow();
    await expect(appender.append(event(room!))).resolves.toMatchObject({ seq: 2 });
  });

  it('refuses data that is not JSON to its caller alone', async () => {
    const [room] = await newRooms(1);
    const appender = new BatchedEventAppender(database.db);
    const results = await Promise.allSettled([
      appender.append(event(room!, 'a')),
      appender.append(event(room!, 10n)),
      appender.append({ ...event(room!), data: undefined }),
      appender.append(event(room!, 'b')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[3] as PromiseFulfilledResult<RoomEvent>).value.seq).toBe(2);
  });

  it('lets two nodes batch over the same rooms at once without deadlock, gaps or duplicates', async () => {
    const rooms = await newRooms(6);
    const waves = 20;
    // Two appenders stand for two nodes; they list the rooms in opposite orders.
    const nodes = [rooms, [...rooms].reverse()].map(async (order) => {
      const appender = new BatchedEventAppender(database.db);
      const stored: RoomEvent[] = [];
      for (let wave = 0; wave < waves; wave += 1) {
        const appends = order.flatMap((room) => [appender.append(event(room)), appender.append(event(room))]);
        stored.push(...(await Promise.all(appends)));
      }
      return stored;
    });
    const byNode = await Promise.all(nodes);
    for (const room of rooms) {
      const seqsByNode = byNode.map((stored) => stored.filter((e) => e.room === room).map((e) => e.seq));
      for (const seqs of seqsByNode) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const all = seqsByNode.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 2 * 2 * waves }, (_, index) => index + 1));
    }
  });

  it('numbers any schedule of concurrent appends per room in call order; unknown rooms are refused alone', async () => {
    const uow = new PgUnitOfWork(database.db);
    // Each wave's appends are called together; waves follow each other. Room 3 does not exist.
    const wavesArb = fc.array(fc.array(fc.nat(3), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(wavesArb, async (waves) => {
        const rooms = [...(await newRooms(3)), `ghost-${roomCounter}`];
        const calls: number[] = [];
        const outcomes: PromiseSettledResult<RoomEvent>[] = [];
        for (const wave of waves) {
          const appends = wave.map((room) => {
            calls.push(room);
            return uow.repos.events.append(event(rooms[room]!, calls.length - 1));
          });
          outcomes.push(...(await Promise.allSettled(appends)));
        }
        for (const [room, id] of rooms.entries()) {
          const called = calls.flatMap((calledRoom, call) => (calledRoom === room ? [call] : []));
          const mine = called.map((call) => outcomes[call]!);
          if (room === 3) {
            expect(
              mine.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof RoomNotFound),
            ).toBe(true);
            continue;
          }
          const seqs = mine.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.seq : NaN));
          expect(seqs).toEqual(mine.map((_, index) => index + 1));
          const stored = (await uow.repos.events.listAfter(id, 0, 1000)).items;
          expect(stored.map((storedEvent) => storedEvent.data)).toEqual(called);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('stores a group of appends whole, in call order with the single appends around it, or not at all', async () => {
    const uow = new PgUnitOfWork(database.db);
    // A call is one room (a single append) or a list of rooms (a group); room 3 does not exist.
    const callArb = fc.oneof(fc.nat(2), fc.array(fc.nat(3), { minLength: 1, maxLength: 8 }));
    const wavesArb = fc.array(fc.array(callArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(wavesArb, async (waves) => {
        const rooms = [...(await newRooms(3)), `ghost-${roomCounter}`];
        const expected = new Map<number, string[]>(rooms.map((_, index) => [index, []]));
        let label = 0;
        for (const wave of waves) {
          const settled = await Promise.allSettled(
            wave.map((call) => {
              const members = typeof call === 'number' ? [call] : call;
              const items = members.map((room) => ({ room, label: `${(label += 1)}` }));
              const stores = !members.includes(3);
              if (stores) for (const item of items) expected.get(item.room)!.push(item.label);
              const events = items.map((item) => event(rooms[item.room]!, item.label));
              return typeof call === 'number'
                ? uow.repos.events.append(events[0]!).then((stored) => [stored])
                : uow.repos.events.appendAll(events);
            }),
          );
          wave.forEach((call, index) => {
            const outcome = settled[index]!;
            const members = typeof call === 'number' ? [call] : call;
            if (!members.includes(3)) return expect(outcome.status).toBe('fulfilled');
            expect(outcome.status === 'rejected' && outcome.reason instanceof RoomNotFound).toBe(true);
            expect((outcome as PromiseRejectedResult).reason.message).toContain(rooms[3]);
          });
        }
        for (const [room, id] of rooms.slice(0, 3).entries()) {
          const stored = (await uow.repos.events.listAfter(id, 0, 1000)).items;
          expect(stored.map((storedEvent) => storedEvent.data)).toEqual(expected.get(room));
          expect(stored.map((storedEvent) => storedEvent.seq)).toEqual(stored.map((_, index) => index + 1));
        }
      }),
      { numRuns: 25 },
    );
  });
}
