import { describe, expect, it } from 'vitest';
import { Forbidden, PayloadTooLarge, RoomNotFound } from '../../src/domain/errors.js';
import { MAX_EVENT_DATA_BYTES } from '../../src/domain/room-event.js';
import { person, pusherCheckingStore, service } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { useCases } from '../support/fakes/use-cases.js';

async function setUp() {
  const uow = new InMemoryUnitOfWork();
  const { pusher, pushedBeforeStored } = pusherCheckingStore(uow);
  const { createRoom, publishEvent } = useCases(uow, pusher);
  await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby' });
  return { uow, pusher, pushedBeforeStored, publish: publishEvent };
}

/** A string whose JSON form is exactly `bytes` bytes of UTF-8. */
function dataOfBytes(bytes: number): string {
  return 'x'.repeat(bytes - 2);
}

describe('PublishEvent', () => {
  it('stores the event with the next seq, then pushes it once', async () => {
    const { uow, pusher, pushedBeforeStored, publish } = await setUp();

    const event = await publish.execute(person('ann'), 'lobby', 'chat', { text: 'hi' });

    expect(event).toMatchObject({ room: 'lobby', seq: 1, type: 'chat', data: { text: 'hi' }, sender: 'ann' });
    expect(event.at).toBeInstanceOf(Date);
    expect(uow.storedEvents('lobby')).toEqual([event]);
    expect(pusher.pushed).toEqual([event]);
    expect(pushedBeforeStored).toEqual([]);
  });

  it('numbers a room events 1..n in publish order, and pushes them in that order', async () => {
    const { pusher, publish } = await setUp();
    for (let i = 0; i < 5; i += 1) await publish.execute(person('ann'), 'lobby', 'chat', i);
    expect(pusher.pushed.map((event) => [event.seq, event.data])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 4],
    ]);
  });

  it('pushes concurrent publishes to a room in seq order, each already stored', async () => {
    const { pusher, pushedBeforeStored, publish } = await setUp();
    const events = await Promise.all(
      Array.from({ length: 20 }, (_, i) => publish.execute(person('ann'), 'lobby', 'chat', i)),
    );
    expect(events.map((event) => event.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(pusher.pushed.map((event) => event.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(pushedBeforeStored).toEqual([]);
  });

  it('accepts null data', async () => {
    const { publish } = await setUp();
    expect((await publish.execute(person('ann'), 'lobby', 'ping', null)).data).toBeNull();
  });

  it('lets a service publish without being made a member', async () => {
    const { uow, pusher, publish } = await setUp();
    const event = await publish.execute(service('backend'), 'lobby', 'notice', 'hello');
    expect(event).toMatchObject({ seq: 1, sender: 'backend' });
    expect(pusher.pushed).toEqual([event]);
    expect(uow.memberIds('lobby')).toEqual(['ann']);
  });

  it('refuses a user who is not a member with forbidden, storing and pushing nothing', async () => {
    const { uow, pusher, publish } = await setUp();
    const attempt = publish.execute(person('eve'), 'lobby', 'chat', 'hi');
    await expect(attempt).rejects.toBeInstanceOf(Forbidden);
    await expect(attempt).rejects.toMatchObject({ code: 'forbidden' });
    expect(uow.storedEvents('lobby')).toEqual([]);
    expect(pusher.calls).toEqual([]);
  });

  it.each(['member.joined', 'member.left', 'member.custom', 'presence.typing'])(
    'refuses the reserved type %s, even from a service',
    async (type) => {
      const { uow, pusher, publish } = await setUp();
      await expect(publish.execute(person('ann'), 'lobby', type, {})).rejects.toBeInstanceOf(Forbidden);
      await expect(publish.execute(service(), 'lobby', type, {})).rejects.toBeInstanceOf(Forbidden);
      expect(uow.storedEvents('lobby')).toEqual([]);
      expect(pusher.calls).toEqual([]);
    },
  );

  it('accepts data of exactly 64 KiB and refuses one byte more with PayloadTooLarge', async () => {
    const { uow, pusher, publish } = await setUp();
    await publish.execute(person('ann'), 'lobby', 'blob', dataOfBytes(MAX_EVENT_DATA_BYTES));
    const attempt = publish.execute(person('ann'), 'lobby', 'blob', dataOfBytes(MAX_EVENT_DATA_BYTES + 1));
    await expect(attempt).rejects.toBeInstanceOf(PayloadTooLarge);
    await expect(attempt).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(uow.storedEvents('lobby').map((event) => event.seq)).toEqual([1]);
    expect(pusher.pushed).toHaveLength(1);
  });

  it('throws RoomNotFound for an unknown room, for users and services alike', async () => {
    const { pusher, publish } = await setUp();
    await expect(publish.execute(person('ann'), 'ghost', 'chat', 1)).rejects.toBeInstanceOf(RoomNotFound);
    await expect(publish.execute(service(), 'ghost', 'chat', 1)).rejects.toBeInstanceOf(RoomNotFound);
    expect(pusher.calls).toEqual([]);
  });
});
