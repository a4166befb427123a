import { afterAll, beforeAll, expect, it } from 'vitest';
import { RoomExists, RoomNotFound } from '../../src/domain/errors.js';
import type { UnitOfWork } from '../../src/domain/ports/repositories.js';
import { migrate } from '../../src/database/migrate.js';
import { PgUnitOfWork } from '../../src/database/pg-unit-of-work.js';
import { type TestDatabase, onBothDatabases } from '../support/databases.js';

onBothDatabases('repositories', repositoryContract);

function repositoryContract(open: () => Promise<TestDatabase>): void {
  let database: TestDatabase;
  let uow: UnitOfWork;
  let roomCounter = 0;

  beforeAll(async () => {
    database = await open();
    uow = new PgUnitOfWork(database.db);
  });
  afterAll(() => database?.dispose());

  async function newRoom(capacity = 10) {
    roomCounter += 1;
    return uow.repos.rooms.create({
      id: `room-${roomCounter}`,
      name: `Room ${roomCounter}`,
      capacity,
      epoch: `e${roomCounter}`,
    });
  }

  it('migrations are idempotent', async () => {
    expect(await migrate(database.db)).toEqual([]);
  });

  it('creates a room with seq 0 and refuses a second one with the same id', async () => {
    const room = await newRoom();
    expect(room).toMatchObject({ name: room.name, capacity: 10, lastSeq: 0, memberCount: 0 });
    expect(room.createdAt).toBeInstanceOf(Date);
    await expect(
      uow.repos.rooms.create({ id: room.id, name: 'again', capacity: 1, epoch: 'x' }),
    ).rejects.toBeInstanceOf(RoomExists);
  });

  it('finds a room, and null for an unknown one', async () => {
    const room = await newRoom();
    expect((await uow.repos.rooms.find(room.id))?.id).toBe(room.id);
    expect(await uow.repos.rooms.find('no-such-room')).toBeNull();
  });

  it('finds a room with whether a user is its member, in one read; null for an unknown room', async () => {
    const room = await newRoom();
    await uow.repos.members.add({ roomId: room.id, userId: 'ann', name: 'Ann' });
    const forAnn = await uow.repos.rooms.findWithMembership(room.id, 'ann');
    expect(forAnn).toMatchObject({ room: { id: room.id, memberCount: 1, epoch: room.epoch }, isMember: true });
    expect(await uow.repos.rooms.findWithMembership(room.id, 'bob')).toMatchObject({ isMember: false });
    await uow.repos.members.remove(room.id, 'ann');
    expect(await uow.repos.rooms.findWithMembership(room.id, 'ann')).toMatchObject({ isMember: false });
    expect(await uow.repos.rooms.findWithMembership('no-such-room', 'ann')).toBeNull();
  });

  it('pages through rooms by id', async () => {
    const ids = new Set<string>();
    let afterKey: string | undefined;
    for (let pages = 0; pages < 100; pages += 1) {
      const page = await uow.repos.rooms.list({ limit: 2, afterKey });
      page.items.forEach((room) => ids.add(room.id));
      expect(page.items.length).toBeLessThanOrEqual(2);
      if (!page.nextKey) break;
      afterKey = page.nextKey;
    }
    const all = await uow.repos.rooms.list({ limit: 1000 });
    expect([...ids]).toEqual(all.items.map((room) => room.id));
    expect(all.nextKey).toBeNull();
  });

  it('adds and removes members, keeping the member count', async () => {
    const room = await newRoom();
    await uow.repos.members.add({ roomId: room.id, userId: 'ann', name: 'Ann' });
    await uow.repos.members.add({ roomId: room.id, userId: 'bob', name: 'Bob' });
    await uow.repos.members.add({ roomId: room.id, userId: 'bob', name: 'Bob' });
    expect((await uow.repos.rooms.find(room.id))?.memberCount).toBe(2);
    expect(await uow.repos.members.find(room.id, 'ann')).toMatchObject({ userId: 'ann', name: 'Ann' });
    expect(await uow.repos.members.remove(room.id, 'ann')).toBe(true);
    expect(await uow.repos.members.remove(room.id, 'ann')).toBe(false);
    expect((await uow.repos.rooms.find(room.id))?.memberCount).toBe(1);
    const page = await uow.repos.members.list(room.id, { limit: 10 });
    expect(page.items.map((member) => member.userId)).toEqual(['bob']);
  });

  it('appends events with seqs 1..n and lists them after a seq', async () => {
    const room = await newRoom();
    for (let i = 0; i < 5; i += 1) {
      await uow.repos.events.append({
        room: room.id,
        type: 'msg',
        data: { i, text: 'it\'s "quoted" ; DROP TABLE rooms' },
        sender: 'ann',
      });
    }
    const window = await uow.repos.events.listAfter(room.id, 2, 10);
    expect(window.firstSeq).toBe(1);
    expect(window.items.map((event) => event.seq)).toEqual([3, 4, 5]);
    expect(window.items[0]).toMatchObject({ room: room.id, type: 'msg', sender: 'ann', data: { i: 2 } });
    expect((await uow.repos.rooms.find(room.id))?.lastSeq).toBe(5);
  });

  it('keeps event data exactly as published', async () => {
    const room = await newRoom();
    const data = { z: 1, a: [null, true, 1.5, 'ünï\u0000cödé 🎉'], nested: { deep: { deeper: {} } } };
    await uow.repos.events.append({ room: room.id, type: 'msg', data, sender: 'ann' });
    const [event] = (await uow.repos.events.listAfter(room.id, 0, 1)).items;
    expect(JSON.stringify(event?.data)).toBe(JSON.stringify(data));
  });

  it('reports firstSeq as lastSeq + 1 when a room has no events', async () => {
    const room = await newRoom();
    expect(await uow.repos.events.listAfter(room.id, 0, 10)).toEqual({ items: [], firstSeq: 1 });
  });

  it('refuses to append to an unknown room', async () => {
    await expect(
      uow.repos.events.append({ room: 'ghost', type: 'msg', data: 1, sender: 'ann' }),
    ).rejects.toBeInstanceOf(RoomNotFound);
  });

  it('gives 20 concurrent publishers on one room the seqs 1..N exactly', async () => {
    const room = await newRoom();
    const publishers = 20;
    const perPublisher = 25;
    const seqs = await Promise.all(
      Array.from({ length: publishers }, async (_, publisher) => {
        const mine: number[] = [];
        for (let i = 0; i < perPublisher; i += 1) {
          const event = await uow.repos.events.append({
            room: room.id,
            type: 'msg',
            data: { publisher, i },
            sender: `p${publisher}`,
          });
          mine.push(event.seq);
        }
        return mine;
      }),
    );
    const total = publishers * perPublisher;
    expect(seqs.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const stored = await uow.repos.events.listAfter(room.id, 0, 1000);
    expect(stored.items.map((event) => event.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('numbers many concurrent appends over several rooms 1..n per room, in call order', async () => {
    const rooms = await Promise.all(Array.from({ length: 5 }, () => newRoom()));
    // More appends than one batch holds, interleaved unevenly over the rooms, all called at once.
    const pattern = [0, 0, 1, 2, 0, 3, 4, 4, 4, 1, 2];
    const calls = Array.from({ length: 1200 }, (_, call) => rooms[pattern[call % pattern.length]!]!.id);
    const events = await Promise.all(
      calls.map((room, call) => uow.repos.events.append({ room, type: 'msg', data: { call }, sender: 'ann' })),
    );
    for (const room of rooms) {
      const called = calls.flatMap((id, call) => (id === room.id ? [call] : []));
      const seqs = called.map((call) => events[call]!.seq);
      expect(seqs).toEqual(called.map((_, index) => index + 1));
      const stored = await uow.repos.events.listAfter(room.id, 0, 2000);
      expect(stored.items.map((event) => (event.data as { call: number }).call)).toEqual(called);
      expect((await uow.repos.rooms.find(room.id))?.lastSeq).toBe(called.length);
    }
  });

  it('refuses only the append to an unknown room among concurrent ones', async () => {
    const room = await newRoom();
    const append = (roomId: string) => uow.repos.events.append({ room: roomId, type: 'msg', data: 1, sender: 'ann' });
    const [first, ghost, second] = await Promise.allSettled([append(room.id), append('ghost'), append(room.id)]);
    expect(ghost).toMatchObject({ status: 'rejected', reason: expect.any(RoomNotFound) });
    expect([first, second]).toMatchObject([
      { status: 'fulfilled', value: { seq: 1 } },
      { status: 'fulfilled', value: { seq: 2 } },
    ]);
  });

  it('appends a group of events to several rooms in a unit of work, or none when a room is unknown', async () => {
    const [a, b] = [await newRoom(), await newRoom()];
    const group = (rooms: string[]) => rooms.map((room, index) => ({ room, type: 'msg', data: index, sender: 'ann' }));
    const stored = await uow.run((repos) => repos.events.appendAll(group([a.id, b.id, a.id])));
    expect(stored.map((event) => [event.room, event.seq, event.data])).toEqual([
      [a.id, 1, 0],
      [b.id, 1, 1],
      [a.id, 2, 2],
    ]);
    await expect(uow.run((repos) => repos.events.appendAll(group([b.id, 'ghost'])))).rejects.toThrow(
      new RoomNotFound('ghost'),
    );
    expect((await uow.repos.rooms.find(b.id))?.lastSeq).toBe(1);
  });

  it('rolls a unit of work back whole when it throws', async () => {
    const room = await newRoom();
    await expect(
      uow.run(async (repos) => {
        await repos.members.add({ roomId: room.id, userId: 'carl', name: 'Carl' });
        await repos.events.append({ room: room.id, type: 'msg', data: 1, sender: 'carl' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await uow.repos.members.find(room.id, 'carl')).toBeNull();
    expect((await uow.repos.rooms.find(room.id))?.lastSeq).toBe(0);
  });

  it('trims each room to the newest maxEventsPerRoom events, leaving no hole', async () => {
    const busy = await newRoom();
    const quiet = await newRoom();
    for (let i = 0; i < 10; i += 1)
      await uow.repos.events.append({ room: busy.id, type: 'msg', data: i, sender: 'ann' });
    await uow.repos.events.append({ room: quiet.id, type: 'msg', data: 0, sender: 'ann' });
    const deleted = await uow.repos.events.trim({ maxEventsPerRoom: 4, maxAgeSeconds: undefined });
    expect(deleted).toBeGreaterThanOrEqual(6);
    const kept = await uow.repos.events.listAfter(busy.id, 0, 100);
    expect(kept.firstSeq).toBe(7);
    expect(kept.items.map((event) => event.seq)).toEqual([7, 8, 9, 10]);
    expect((await uow.repos.events.listAfter(quiet.id, 0, 100)).items).toHaveLength(1);
    const appended = await uow.repos.events.append({ room: busy.id, type: 'msg', data: 'after', sender: 'ann' });
    expect(appended.seq).toBe(11);
  });

  it('trims events older than maxAgeSeconds', async () => {
    const room = await newRoom();
    for (let i = 0; i < 5; i += 1)
      await uow.repos.events.append({ room: room.id, type: 'msg', data: i, sender: 'ann' });
    await database.db.query(`UPDATE events SET at = now() - interval '2 hours' WHERE room_id = $1 AND seq <= 3`, [
      room.id,
    ]);
    await uow.repos.events.trim({ maxEventsPerRoom: undefined, maxAgeSeconds: 3600 });
    const kept = await uow.repos.events.listAfter(room.id, 0, 100);
    expect(kept.firstSeq).toBe(4);
    expect(kept.items.map((event) => event.seq)).toEqual([4, 5]);
  });

  it('reports firstSeq as lastSeq + 1 once a room history is trimmed away', async () => {
    const room = await newRoom();
    for (let i = 0; i < 3; i += 1)
      await uow.repos.events.append({ room: room.id, type: 'msg', data: i, sender: 'ann' });
    await database.db.query(`UPDATE events SET at = now() - interval '2 hours' WHERE room_id = $1`, [room.id]);
    await uow.repos.events.trim({ maxEventsPerRoom: undefined, maxAgeSeconds: 60 });
    expect(await uow.repos.events.listAfter(room.id, 3, 10)).toEqual({ items: [], firstSeq: 4 });
  });
}
