import { describe, expect, it } from 'vitest';
import { RoomExists } from '../../src/domain/errors.js';
import { DEFAULT_ROOM_CAPACITY } from '../../src/domain/room.js';
import { CreateRoom } from '../../src/usecase/create-room.js';
import { person } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';

const ROOM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

describe('CreateRoom', () => {
  it('creates a room at seq 0 whose creator is its only member, without an event', async () => {
    const uow = new InMemoryUnitOfWork();
    const room = await new CreateRoom(uow).execute(person('ann'), { id: 'lobby', name: 'Lobby' });
    expect(room).toMatchObject({
      id: 'lobby',
      name: 'Lobby',
      capacity: DEFAULT_ROOM_CAPACITY,
      lastSeq: 0,
      memberCount: 1,
    });
    expect(room.createdAt).toBeInstanceOf(Date);
    expect(uow.memberIds('lobby')).toEqual(['ann']);
    expect(uow.storedEvents('lobby')).toEqual([]);
  });

  it('keeps a given capacity', async () => {
    const room = await new CreateRoom(new InMemoryUnitOfWork()).execute(person('ann'), {
      id: 'tiny',
      name: 'Tiny',
      capacity: 3,
    });
    expect(room.capacity).toBe(3);
  });

  it('generates distinct slug ids when none is given', async () => {
    const createRoom = new CreateRoom(new InMemoryUnitOfWork());
    const first = await createRoom.execute(person('ann'), { name: 'One' });
    const second = await createRoom.execute(person('ann'), { name: 'Two' });
    expect(first.id).toMatch(ROOM_ID_PATTERN);
    expect(second.id).toMatch(ROOM_ID_PATTERN);
    expect(first.id).not.toBe(second.id);
  });

  it('gives each new room its own epoch', async () => {
    const createRoom = new CreateRoom(new InMemoryUnitOfWork());
    const first = await createRoom.execute(person('ann'), { id: 'a', name: 'A' });
    const second = await createRoom.execute(person('ann'), { id: 'b', name: 'B' });
    expect(first.epoch).not.toBe('');
    expect(first.epoch).not.toBe(second.epoch);
  });

  it('refuses an id already taken with RoomExists and leaves the first room untouched', async () => {
    const uow = new InMemoryUnitOfWork();
    const createRoom = new CreateRoom(uow);
    const original = await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby' });
    const attempt = createRoom.execute(person('bob'), { id: 'lobby', name: 'Other' });
    await expect(attempt).rejects.toBeInstanceOf(RoomExists);
    await expect(attempt).rejects.toMatchObject({ code: 'room_exists' });
    expect(await uow.repos.rooms.find('lobby')).toMatchObject({ name: 'Lobby', epoch: original.epoch, memberCount: 1 });
    expect(uow.memberIds('lobby')).toEqual(['ann']);
  });
});
