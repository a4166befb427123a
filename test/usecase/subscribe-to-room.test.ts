import { describe, expect, it } from 'vitest';
import { RoomFull, RoomNotFound } from '../../src/domain/errors.js';
import { MEMBER_JOINED } from '../../src/domain/room-event.js';
import { person, pusherCheckingStore, service } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { useCases } from '../support/fakes/use-cases.js';

async function setUp(capacity = 10) {
  const uow = new InMemoryUnitOfWork();
  const { pusher, pushedBeforeStored } = pusherCheckingStore(uow);
  const { createRoom, subscribeToRoom } = useCases(uow, pusher);
  await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby', capacity });
  return { uow, pusher, pushedBeforeStored, subscribe: subscribeToRoom };
}

describe('SubscribeToRoom', () => {
  it('makes a user a member first, announcing it, and returns the room as it now stands', async () => {
    const { uow, pusher, pushedBeforeStored, subscribe } = await setUp();

    const room = await subscribe.execute(person('bob'), 'lobby');

    expect(room).toMatchObject({ id: 'lobby', lastSeq: 1, memberCount: 2 });
    expect(uow.memberIds('lobby')).toEqual(['ann', 'bob']);
    expect(pusher.pushed.map((event) => event.type)).toEqual([MEMBER_JOINED]);
    expect(pushedBeforeStored).toEqual([]);
  });

  it('announces nothing for a user who is already a member', async () => {
    const { pusher, subscribe } = await setUp();
    expect(await subscribe.execute(person('ann'), 'lobby')).toMatchObject({ lastSeq: 0, memberCount: 1 });
    expect(pusher.calls).toEqual([]);
  });

  it('lets a service receive a room without making it a member', async () => {
    const { uow, pusher, subscribe } = await setUp();

    const room = await subscribe.execute(service('backend'), 'lobby');

    expect(room).toMatchObject({ id: 'lobby', lastSeq: 0, memberCount: 1 });
    expect(uow.memberIds('lobby')).toEqual(['ann']);
    expect(uow.storedEvents('lobby')).toEqual([]);
    expect(pusher.calls).toEqual([]);
  });

  it('lets a service into a full room, and refuses a user with room_full', async () => {
    const { subscribe } = await setUp(1);
    await expect(subscribe.execute(service(), 'lobby')).resolves.toMatchObject({ id: 'lobby' });
    await expect(subscribe.execute(person('bob'), 'lobby')).rejects.toBeInstanceOf(RoomFull);
  });

  it('throws RoomNotFound for an unknown room, for users and services alike', async () => {
    const { pusher, subscribe } = await setUp();
    await expect(subscribe.execute(person('bob'), 'ghost')).rejects.toBeInstanceOf(RoomNotFound);
    await expect(subscribe.execute(service(), 'ghost')).rejects.toBeInstanceOf(RoomNotFound);
    expect(pusher.calls).toEqual([]);
  });
});
