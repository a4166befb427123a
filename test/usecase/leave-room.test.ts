import { describe, expect, it } from 'vitest';
import { RoomNotFound } from '../../src/domain/errors.js';
import { MEMBER_JOINED, MEMBER_LEFT } from '../../src/domain/room-event.js';
import { person, pusherCheckingStore } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { useCases } from '../support/fakes/use-cases.js';

async function setUp() {
  const uow = new InMemoryUnitOfWork();
  const { pusher, pushedBeforeStored } = pusherCheckingStore(uow);
  const { createRoom, joinRoom, leaveRoom } = useCases(uow, pusher);
  await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby' });
  await joinRoom.execute(person('bob', 'Bob'), 'lobby');
  pusher.calls.length = 0;
  return { uow, pusher, pushedBeforeStored, joinRoom, leaveRoom };
}

describe('LeaveRoom', () => {
  it('removes the member, stores and pushes member.left, then evicts their subscriptions', async () => {
    const { uow, pusher, pushedBeforeStored, leaveRoom } = await setUp();

    expect(await leaveRoom.execute(person('bob', 'Bob'), 'lobby')).toBe(true);

    expect(uow.memberIds('lobby')).toEqual(['ann']);
    expect((await uow.repos.rooms.find('lobby'))?.memberCount).toBe(1);
    const left = uow.storedEvents('lobby')[1];
    expect(left).toMatchObject({ seq: 2, type: MEMBER_LEFT, sender: 'bob', data: { userId: 'bob', name: 'Bob' } });
    expect(pusher.calls).toEqual([
      { kind: 'push', event: left },
      { kind: 'evict', roomId: 'lobby', userId: 'bob' },
    ]);
    expect(pushedBeforeStored).toEqual([]);
  });

  it('stores and pushes no event for a user who is not a member, but still ends their subscriptions', async () => {
    const { uow, pusher, leaveRoom } = await setUp();

    expect(await leaveRoom.execute(person('carl'), 'lobby')).toBe(false);

    expect(uow.storedEvents('lobby')).toHaveLength(1);
    expect(pusher.pushed).toEqual([]);
    expect(pusher.evictions).toEqual([{ roomId: 'lobby', userId: 'carl' }]);
    expect(uow.memberIds('lobby')).toEqual(['ann', 'bob']);
  });

  it('announces a second leave of the same user nothing more', async () => {
    const { uow, pusher, leaveRoom } = await setUp();
    await leaveRoom.execute(person('bob'), 'lobby');

    expect(await leaveRoom.execute(person('bob'), 'lobby')).toBe(false);

    expect(uow.storedEvents('lobby').map((event) => event.type)).toEqual([MEMBER_JOINED, MEMBER_LEFT]);
    expect(pusher.pushed).toHaveLength(1);
  });

  it('lets a user who left join again, announced again', async () => {
    const { uow, joinRoom, leaveRoom } = await setUp();
    await leaveRoom.execute(person('bob'), 'lobby');

    expect((await joinRoom.execute(person('bob'), 'lobby')).joined).toBe(true);

    expect(uow.storedEvents('lobby').map((event) => event.type)).toEqual([MEMBER_JOINED, MEMBER_LEFT, MEMBER_JOINED]);
  });

  it('throws RoomNotFound for an unknown room, pushing and evicting nothing', async () => {
    const { pusher, leaveRoom } = await setUp();
    await expect(leaveRoom.execute(person('bob'), 'ghost')).rejects.toBeInstanceOf(RoomNotFound);
    expect(pusher.calls).toEqual([]);
  });
});
