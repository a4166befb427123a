import { describe, expect, it } from 'vitest';
import { TrimHistory } from '../../src/usecase/trim-history.js';
import { person } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';
import { useCases } from '../support/fakes/use-cases.js';

async function roomWithEvents(count: number) {
  const uow = new InMemoryUnitOfWork();
  const { createRoom, publishEvent } = useCases(uow, new RecordingPusher());
  await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby' });
  for (let i = 0; i < count; i += 1) await publishEvent.execute(person('ann'), 'lobby', 'chat', i);
  return uow;
}

describe('TrimHistory', () => {
  it('keeps the newest events of each room under the policy', async () => {
    const uow = await roomWithEvents(10);
    const trim = new TrimHistory(uow, { maxEventsPerRoom: 3, maxAgeSeconds: undefined });
    expect(await trim.execute()).toEqual({ events: 7, keys: 0 });
    expect(uow.storedEvents('lobby').map((event) => event.seq)).toEqual([8, 9, 10]);
  });

  it('keeps everything without limits', async () => {
    const uow = await roomWithEvents(5);
    const trim = new TrimHistory(uow, { maxEventsPerRoom: undefined, maxAgeSeconds: undefined });
    expect(await trim.execute()).toEqual({ events: 0, keys: 0 });
    expect(uow.storedEvents('lobby')).toHaveLength(5);
  });
});
