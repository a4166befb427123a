import { describe, expect, it } from 'vitest';
import { RoomFull, RoomNotFound } from '../../src/domain/errors.js';
import { MEMBER_JOINED } from '../../src/domain/room-event.js';
import { person, pusherCheckingStore } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { useCases } from '../support/fakes/use-cases.js';

async function setUp(capacity = 10) {
  const uow = new InMemoryUnitOfWork();
  const { pusher, pushedBeforeStored } = pusherCheckingStore(uow);
  const { createRoom, joinRoom } = useCases(uow, pusher);
  await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby', capacity });
  return { uow, pusher, pushedBeforeStored, joinRoom };
}

describe('JoinRoom', () => {
  it('makes a first-time joiner a member and stores then pushes member.joined', async () => {
    const { uow, pusher, pushedBeforeStored, joinRoom } = await setUp();

    const result = await joinRoom.execute(person('bob', 'Bob'), 'lobby');

    expect(result.joined).toBe(true);
    expect(result.room).toMatchObject({ id: 'lobby', memberCount: 2, lastSeq: 1 });
    expect(uow.memberIds('lobby')).toEqual(['ann', 'bob']);
    const stored = uow.storedEvents('lobby');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      room: 'lobby',
      seq: 1,
      type: MEMBER_JOINED,
      sender: 'bob',
      data: { userId: 'bob', name: 'Bob' },
    });
    expect(pusher.pushed).toHaveLength(1);
    expect(pusher.pushed[0]).toMatchObject({ seq: 1, type: MEMBER_JOINED });
    expect(pushedBeforeStored).toEqual([]);
  });

  it('stores and pushes nothing when the user is already a member', async () => {
    const { uow, pusher, joinRoom } = await setUp();
    await joinRoom.execute(person('bob'), 'lobby');

    const again = await joinRoom.execute(person('bob'), 'lobby');

    expect(again.joined).toBe(false);
    expect(again.room).toMatchObject({ memberCount: 2, lastSeq: 1 });
    expect(uow.storedEvents('lobby')).toHaveLength(1);
    expect(pusher.pushed).toHaveLength(1);
  });

  it('treats the creator as already a member', async () => {
    const { uow, pusher, joinRoom } = await setUp();
    expect((await joinRoom.execute(person('ann'), 'lobby')).joined).toBe(false);
    expect(uow.storedEvents('lobby')).toEqual([]);
    expect(pusher.calls).toEqual([]);
  });

  it('refuses a joiner at capacity with room_full, storing and pushing nothing', async () => {
    const { uow, pusher, joinRoom } = await setUp(2);
    await joinRoom.execute(person('bob'), 'lobby');

    const attempt = joinRoom.execute(person('carl'), 'lobby');

    await expect(attempt).rejects.toBeInstanceOf(RoomFull);
    await expect(attempt).rejects.toMatchObject({ code: 'room_full' });
    expect(uow.memberIds('lobby')).toEqual(['ann', 'bob']);
    expect(uow.storedEvents('lobby')).toHaveLength(1);
    expect(pusher.pushed).toHaveLength(1);
  });

  it('still lets an existing member re-join a full room', async () => {
    const { joinRoom } = await setUp(1);
    await expect(joinRoom.execute(person('ann'), 'lobby')).resolves.toMatchObject({ joined: false });
  });

  it('admits exactly as many concurrent joiners as fit', async () => {
    const { uow, pusher, joinRoom } = await setUp(3);

    const results = await Promise.allSettled(
      ['bob', 'carl', 'dana', 'eve'].map((id) => joinRoom.execute(person(id), 'lobby')),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2);
    const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(refusals).toHaveLength(2);
    refusals.forEach((reason) => expect(reason).toBeInstanceOf(RoomFull));
    expect(uow.memberIds('lobby')).toHaveLength(3);
    expect(uow.storedEvents('lobby').map((event) => event.seq)).toEqual([1, 2]);
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2]);
  });

  it('announces the same user joining twice at once only once', async () => {
    const { uow, pusher, joinRoom } = await setUp();

    const results = await Promise.all([
      joinRoom.execute(person('bob'), 'lobby'),
      joinRoom.execute(person('bob'), 'lobby'),
    ]);

    expect(results.map((result) => result.joined).sort()).toEqual([false, true]);
    expect(uow.storedEvents('lobby')).toHaveLength(1);
    expect(pusher.pushed).toHaveLength(1);
  });

  it('throws RoomNotFound for an unknown room and pushes nothing', async () => {
    const { pusher, joinRoom } = await setUp();
    await expect(joinRoom.execute(person('bob'), 'ghost')).rejects.toBeInstanceOf(RoomNotFound);
    expect(pusher.calls).toEqual([]);
  });
});
