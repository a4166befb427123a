import { afterAll, beforeAll, expect, it } from 'vitest';
import { BatchedEventAppender } from '../../src/database/batched-event-appender.js';
import { PgUnitOfWork } from '../../src/database/pg-unit-of-work.js';
import { IdempotencyConflict } from '../../src/domain/errors.js';
import type { NewRoomEvent, RoomEvent } from '../../src/domain/room-event.js';
import { type TestDatabase, onBothDatabases } from '../support/databases.js';

onBothDatabases('idempotency keys', idempotencyContract);

function idempotencyContract(open: () => Promise<TestDatabase>): void {
  let database: TestDatabase;
  let uow: PgUnitOfWork;
  let roomCounter = 0;

  beforeAll(async () => {
    database = await open();
    uow = new PgUnitOfWork(database.db);
  });
  afterAll(() => database?.dispose());

  async function newRoom(): Promise<string> {
    const id = `key-room-${(roomCounter += 1)}`;
    await uow.repos.rooms.create({ id, name: id, capacity: 10, epoch: 'e' });
    return id;
  }

  const lastSeq = async (room: string) => (await uow.repos.rooms.find(room))!.lastSeq;
  const keyed = (room: string, key: string, data: unknown = { n: 1 }, sender = 'backend'): NewRoomEvent => ({
    room,
    type: 'order.paid',
    data,
    sender,
    idempotencyKey: key,
  });

  it('stores the first use of a key and answers a repeat with the original, storing nothing', async () => {
    const room = await newRoom();
    const first = await uow.repos.events.append(keyed(room, 'k1', { n: 1, at: 'x' }));
    expect(first.replayed).toBeUndefined();

    const again = await uow.repos.events.append(keyed(room, 'k1', { at: 'x', n: 1 }));

    expect(again).toMatchObject({ replayed: true, seq: first.seq, type: 'order.paid', data: { n: 1, at: 'x' } });
    expect(again.at.getTime()).toBe(first.at.getTime());
    expect(await lastSeq(room)).toBe(first.seq);
    expect('idempotencyKey' in first).toBe(false);
  });

  it('refuses a key used for another type or data, storing nothing, and refuses the whole group that holds it', async () => {
    const room = await newRoom();
    await uow.repos.events.append(keyed(room, 'k1', { n: 1 }));

    await expect(uow.repos.events.append(keyed(room, 'k1', { n: 2 }))).rejects.toBeInstanceOf(IdempotencyConflict);
    await expect(uow.repos.events.append({ ...keyed(room, 'k1'), type: 'order.refunded' })).rejects.toThrow(
      /idempotency key 'k1' was used in room 'key-room-\d+' for an event with another type or data/,
    );
    const group = [{ room, type: 'other', data: 1, sender: 'backend' }, keyed(room, 'k1', { n: 3 })];
    await expect(uow.repos.events.appendAll(group)).rejects.toBeInstanceOf(IdempotencyConflict);
    expect(await lastSeq(room)).toBe(1);
  });

  it('scopes a key to its room and its sender', async () => {
    const [a, b] = [await newRoom(), await newRoom()];
    const stored = await Promise.all([
      uow.repos.events.append(keyed(a, 'same', 1, 'backend')),
      uow.repos.events.append(keyed(a, 'same', 2, 'other-backend')),
      uow.repos.events.append(keyed(b, 'same', 3, 'backend')),
    ]);
    expect(stored.map((event) => [event.room, event.seq, event.replayed])).toEqual([
      [a, 1, undefined],
      [a, 2, undefined],
      [b, 1, undefined],
    ]);
  });

  it('answers new and repeated keys of one group together: the new ones stored, the repeats with their originals', async () => {
    const room = await newRoom();
    const [original] = await uow.repos.events.appendAll([keyed(room, 'g1', 'a')]);

    const answered = await uow.repos.events.appendAll([keyed(room, 'g1', 'a'), keyed(room, 'g2', 'b')]);

    expect(answered.map((event) => [event.seq, event.data, event.replayed])).toEqual([
      [original!.seq, 'a', true],
      [2, 'b', undefined],
    ]);
    expect(await lastSeq(room)).toBe(2);
  });

  it('answers repeats and conflicts met by a shared statement (found by the unique violation, then looked up)', async () => {
    const room = await newRoom();
    const node = new BatchedEventAppender(database.db);
    const original = await node.append(keyed(room, 'old', 'a'));

    const uses = [
      node.append(keyed(room, 'new-1', 'b')),
      node.append(keyed(room, 'old', 'a')),
      node.append({ room, type: 'unkeyed', data: 'c', sender: 'backend' }),
      node.append(keyed(room, 'old', 'another')),
      node.append(keyed(room, 'new-2', 'd')),
    ];
    const [first, repeat, unkeyed, conflict, second] = await Promise.allSettled(uses);

    expect(repeat).toMatchObject({ value: { seq: original.seq, data: 'a', replayed: true } });
    expect(conflict).toMatchObject({ reason: expect.any(IdempotencyConflict) });
    const stored = [first, unkeyed, second].map((outcome) => (outcome as PromiseFulfilledResult<RoomEvent>).value);
    expect(stored.map((event) => [event.seq, event.data, 'replayed' in event])).toEqual([
      [2, 'b', false],
      [3, 'c', false],
      [4, 'd', false],
    ]);
    expect(await lastSeq(room)).toBe(4);
  });

  it('stores one event for a key used at once by two nodes, many times, and answers every use with it', async () => {
    const room = await newRoom();
    const nodes = [new BatchedEventAppender(database.db), new BatchedEventAppender(database.db)];
    for (let round = 0; round < 10; round += 1) {
      const uses = nodes.flatMap((node) =>
        Array.from({ length: 10 }, (_, n) =>
          // Unkeyed appends around the keyed ones put them in statements of their own and in shared ones.
          n % 3 === 0
            ? node.append({ room, type: 'noise', data: n, sender: 'backend' })
            : node.append(keyed(room, `r${round}`)),
        ),
      );
      const answers = await Promise.all(uses);
      const keyedAnswers = answers.filter((event) => event.type === 'order.paid');
      expect(new Set(keyedAnswers.map((event) => event.seq)).size).toBe(1);
      expect(keyedAnswers.filter((event) => !event.replayed)).toHaveLength(1);
    }
    const { items } = await uow.repos.events.listAfter(room, 0, 1000);
    expect(items.filter((event) => event.type === 'order.paid')).toHaveLength(10);
    expect(items.map((event) => event.seq)).toEqual(Array.from({ length: items.length }, (_, i) => i + 1));
  });

  it('keeps a key when history trimming deletes its event, until the key itself is forgotten', async () => {
    const room = await newRoom();
    const original = await uow.repos.events.append(keyed(room, 'kept', { n: 1 }));
    for (let n = 0; n < 5; n += 1) await uow.repos.events.append({ room, type: 'later', data: n, sender: 'backend' });
    await uow.repos.events.trim({ maxEventsPerRoom: 2, maxAgeSeconds: undefined });
    expect((await uow.repos.events.listAfter(room, 0, 10)).firstSeq).toBe(5);

    expect(await uow.repos.events.append(keyed(room, 'kept', { n: 1 }))).toMatchObject({
      replayed: true,
      seq: original.seq,
    });
    expect(await uow.repos.events.forgetKeys(3600)).toBe(0);

    expect(await uow.repos.events.forgetKeys(0)).toBeGreaterThanOrEqual(1);
    const reused = await uow.repos.events.append(keyed(room, 'kept', { n: 2 }));
    expect(reused).toMatchObject({ seq: 7, data: { n: 2 } });
    expect(reused.replayed).toBeUndefined();
  });
}
