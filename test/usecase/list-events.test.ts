import { describe, expect, it } from 'vitest';
import { Forbidden, InvalidRequest, RoomNotFound } from '../../src/domain/errors.js';
import { person, service } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork, type InMemoryStoreOptions } from '../support/fakes/in-memory-unit-of-work.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';
import { useCases } from '../support/fakes/use-cases.js';

async function setUp(events: number, options: InMemoryStoreOptions = {}) {
  const { createRoom, publishEvent, listEvents } = useCases(new InMemoryUnitOfWork(options), new RecordingPusher());
  await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby' });
  for (let i = 1; i <= events; i += 1) await publishEvent.execute(person('ann'), 'lobby', 'chat', { i });
  return listEvents;
}

describe('ListEvents', () => {
  it('lists the events after a seq, ascending, at most limit, with the oldest kept seq', async () => {
    const listEvents = await setUp(6);
    const window = await listEvents.execute(person('ann'), 'lobby', 2, 3);
    expect(window.items.map((event) => event.seq)).toEqual([3, 4, 5]);
    expect(window.items[0]).toMatchObject({ room: 'lobby', type: 'chat', data: { i: 3 }, sender: 'ann' });
    expect(window.firstSeq).toBe(1);
  });

  it('returns nothing after the last seq, and firstSeq 1 for a room without events', async () => {
    expect(await (await setUp(3)).execute(person('ann'), 'lobby', 3, 10)).toEqual({ items: [], firstSeq: 1 });
    expect(await (await setUp(0)).execute(person('ann'), 'lobby', 0, 10)).toEqual({ items: [], firstSeq: 1 });
  });

  it('refuses an after beyond the last seq with invalid_request', async () => {
    const attempt = (await setUp(3)).execute(person('ann'), 'lobby', 4, 10);
    await expect(attempt).rejects.toBeInstanceOf(InvalidRequest);
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('shows a gap through firstSeq once older events are trimmed', async () => {
    const listEvents = await setUp(10, { historyMaxEvents: 4 });
    const window = await listEvents.execute(person('ann'), 'lobby', 2, 100);
    expect(window.firstSeq).toBe(7);
    expect(window.items.map((event) => event.seq)).toEqual([7, 8, 9, 10]);
  });

  it('lets a service read without being a member', async () => {
    const window = await (await setUp(2)).execute(service(), 'lobby', 0, 10);
    expect(window.items.map((event) => event.seq)).toEqual([1, 2]);
  });

  it('refuses a user who is not a member with forbidden', async () => {
    await expect((await setUp(2)).execute(person('eve'), 'lobby', 0, 10)).rejects.toBeInstanceOf(Forbidden);
  });

  it('throws RoomNotFound for an unknown room', async () => {
    const listEvents = await setUp(0);
    await expect(listEvents.execute(person('ann'), 'ghost', 0, 10)).rejects.toBeInstanceOf(RoomNotFound);
    await expect(listEvents.execute(service(), 'ghost', 0, 10)).rejects.toBeInstanceOf(RoomNotFound);
  });
});
