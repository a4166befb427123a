import { describe, expect, it } from 'vitest';
import { Forbidden, InvalidRequest, PayloadTooLarge, RoomNotFound } from '../../src/domain/errors.js';
import { MAX_EVENT_DATA_BYTES } from '../../src/domain/room-event.js';
import { MAX_BATCH_ITEMS } from '../../src/domain/room-event.js';
import { person, pusherCheckingStore, service } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { useCases } from '../support/fakes/use-cases.js';

async function setUp() {
  const uow = new InMemoryUnitOfWork();
  const { pusher, pushedBeforeStored } = pusherCheckingStore(uow);
  const { createRoom, publishEvent, publishEventBatch } = useCases(uow, pusher);
  for (const id of ['a', 'b']) await createRoom.execute(person('ann'), { id, name: id });
  return { uow, pusher, pushedBeforeStored, publishEvent, batch: publishEventBatch };
}

const item = (room: string, data: unknown, type = 'msg') => ({ room, type, data });

describe('PublishEventBatch', () => {
  it('stores every event, each room in the order given after what it held, then pushes them in that order', async () => {
    const { uow, pusher, pushedBeforeStored, publishEvent, batch } = await setUp();
    await publishEvent.execute(service('backend'), 'a', 'msg', 'before');

    const stored = await batch.execute(service('backend'), [item('a', 1), item('b', 2), item('a', 3)]);

    expect(stored.map((event) => [event.room, event.seq, event.data, event.sender])).toEqual([
      ['a', 2, 1, 'backend'],
      ['b', 1, 2, 'backend'],
      ['a', 3, 3, 'backend'],
    ]);
    expect(uow.storedEvents('a').map((event) => event.data)).toEqual(['before', 1, 3]);
    expect(pusher.pushed.map((event) => event.data)).toEqual(['before', 1, 2, 3]);
    expect(pushedBeforeStored).toEqual([]);
  });

  it('refuses the whole batch, storing and pushing nothing, and names the event at fault', async () => {
    const { uow, pusher, batch } = await setUp();
    const backend = service('backend');
    await expect(batch.execute(backend, [item('a', 1), item('b', 1, 'presence.joined')])).rejects.toThrow(
      new Forbidden("events.1: event type 'presence.joined' is reserved for the server"),
    );
    await expect(batch.execute(backend, [item('a', 'x'.repeat(MAX_EVENT_DATA_BYTES))])).rejects.toThrow(
      PayloadTooLarge,
    );
    await expect(batch.execute(backend, [item('a', 1), item('ghost', 1)])).rejects.toThrow(new RoomNotFound('ghost'));
    await expect(batch.execute(backend, [])).rejects.toThrow(InvalidRequest);
    await expect(
      batch.execute(
        backend,
        Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => item('a', 1)),
      ),
    ).rejects.toThrow(InvalidRequest);
    expect(uow.storedEvents('a')).toEqual([]);
    expect(pusher.pushed).toEqual([]);
  });

  it('is for services only: a member is refused', async () => {
    const { batch } = await setUp();
    await expect(batch.execute(person('ann'), [item('a', 1)])).rejects.toThrow(Forbidden);
  });
});
