import { describe, expect, it } from 'vitest';
import { RoomExists, RoomNotFound } from '../../../src/domain/errors.js';
import { InMemoryUnitOfWork } from './in-memory-unit-of-work.js';

// The fake must keep the contract the PostgreSQL repositories keep (test/database/repository-contract.test.ts).
async function withRoom(capacity = 10) {
  const uow = new InMemoryUnitOfWork();
  const room = await uow.repos.rooms.create({ id: 'lobby', name: 'Lobby', capacity, epoch: 'e1' });
  return { uow, room };
}

describe('InMemoryUnitOfWork', () => {
  it('creates a room at seq 0 without members, and refuses its id again', async () => {
    const { uow, room } = await withRoom();
    expect(room).toMatchObject({ id: 'lobby', name: 'Lobby', capacity: 10, lastSeq: 0, epoch: 'e1', memberCount: 0 });
    await expect(uow.repos.rooms.create({ id: 'lobby', name: 'x', capacity: 1, epoch: 'e2' })).rejects.toBeInstanceOf(
      RoomExists,
    );
    expect(await uow.repos.rooms.find('ghost')).toBeNull();
    expect(await uow.repos.rooms.findForUpdate('lobby')).toMatchObject({ id: 'lobby' });
  });

  it('keeps the member count in step with adds and removes, an add of a member counting once', async () => {
    const { uow } = await withRoom();
    await uow.repos.members.add({ roomId: 'lobby', userId: 'bob', name: 'Bob' });
    await uow.repos.members.add({ roomId: 'lobby', userId: 'ann', name: 'Ann' });
    expect(await uow.repos.members.add({ roomId: 'lobby', userId: 'bob', name: 'Robert' })).toMatchObject({
      name: 'Bob',
    });
    expect((await uow.repos.rooms.find('lobby'))?.memberCount).toBe(2);
    expect(await uow.repos.members.remove('lobby', 'ann')).toBe(true);
    expect(await uow.repos.members.remove('lobby', 'ann')).toBe(false);
    expect((await uow.repos.rooms.find('lobby'))?.memberCount).toBe(1);
  });

  it('pages members and rooms by key, nextKey naming the last item only when more exist', async () => {
    const { uow } = await withRoom();
    for (const id of ['c', 'a', 'b']) await uow.repos.members.add({ roomId: 'lobby', userId: id, name: id });
    const first = await uow.repos.members.list('lobby', { limit: 2 });
    expect([first.items.map((member) => member.userId), first.nextKey]).toEqual([['a', 'b'], 'b']);
    const last = await uow.repos.members.list('lobby', { limit: 2, afterKey: 'b' });
    expect([last.items.map((member) => member.userId), last.nextKey]).toEqual([['c'], null]);
    await uow.repos.rooms.create({ id: 'attic', name: 'Attic', capacity: 1, epoch: 'e2' });
    expect((await uow.repos.rooms.list({ limit: 1 })).nextKey).toBe('attic');
    expect((await uow.repos.rooms.list({ limit: 2 })).nextKey).toBeNull();
  });

  it('numbers events 1..n per room, stores their data as JSON, and lists them after a seq', async () => {
    const { uow } = await withRoom();
    await uow.repos.rooms.create({ id: 'other', name: 'Other', capacity: 1, epoch: 'e2' });
    const data = { at: new Date(0), list: [1] };
    const appended = await uow.repos.events.append({ room: 'lobby', type: 'msg', data, sender: 'ann' });
    await uow.repos.events.append({ room: 'lobby', type: 'msg', data: 2, sender: 'ann' });
    await uow.repos.events.append({ room: 'other', type: 'msg', data: 3, sender: 'ann' });
    expect(appended).toMatchObject({ seq: 1, data: { at: '1970-01-01T00:00:00.000Z', list: [1] } });
    expect((await uow.repos.events.listAfter('lobby', 1, 10)).items.map((event) => event.seq)).toEqual([2]);
    expect((await uow.repos.events.listAfter('other', 0, 10)).items.map((event) => event.seq)).toEqual([1]);
    expect((await uow.repos.rooms.find('lobby'))?.lastSeq).toBe(2);
  });

  it('reports firstSeq as the oldest kept seq, or lastSeq + 1 when none is kept', async () => {
    const uow = new InMemoryUnitOfWork({ historyMaxEvents: 2 });
    await uow.repos.rooms.create({ id: 'lobby', name: 'Lobby', capacity: 1, epoch: 'e1' });
    expect(await uow.repos.events.listAfter('lobby', 0, 10)).toEqual({ items: [], firstSeq: 1 });
    for (let i = 0; i < 5; i += 1)
      await uow.repos.events.append({ room: 'lobby', type: 'msg', data: i, sender: 'ann' });
    const window = await uow.repos.events.listAfter('lobby', 0, 1);
    expect([window.firstSeq, window.items.map((event) => event.seq)]).toEqual([4, [4]]);
  });

  it('refuses to append to or list an unknown room', async () => {
    const uow = new InMemoryUnitOfWork();
    await expect(
      uow.repos.events.append({ room: 'ghost', type: 'msg', data: 1, sender: 'ann' }),
    ).rejects.toBeInstanceOf(RoomNotFound);
    await expect(uow.repos.events.listAfter('ghost', 0, 1)).rejects.toBeInstanceOf(RoomNotFound);
  });

  it('rolls a unit of work back whole when it throws, and commits it otherwise', async () => {
    const { uow } = await withRoom();
    const failed = uow.run(async (repos) => {
      await repos.members.add({ roomId: 'lobby', userId: 'carl', name: 'Carl' });
      await repos.events.append({ room: 'lobby', type: 'msg', data: 1, sender: 'carl' });
      await repos.rooms.create({ id: 'new', name: 'New', capacity: 1, epoch: 'e3' });
      throw new Error('boom');
    });
    await expect(failed).rejects.toThrow('boom');
    expect(await uow.repos.members.find('lobby', 'carl')).toBeNull();
    expect(await uow.repos.rooms.find('lobby')).toMatchObject({ lastSeq: 0, memberCount: 0 });
    expect(await uow.repos.rooms.find('new')).toBeNull();
    expect(
      await uow.run(
        async (repos) => (await repos.events.append({ room: 'lobby', type: 'msg', data: 1, sender: 'a' })).seq,
      ),
    ).toBe(1);
    expect(uow.storedEvents('lobby')).toHaveLength(1);
  });
});
