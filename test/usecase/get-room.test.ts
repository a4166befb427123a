import { describe, expect, it } from 'vitest';
import { RoomNotFound } from '../../src/domain/errors.js';
import { person } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';
import { useCases } from '../support/fakes/use-cases.js';

describe('GetRoom', () => {
  it('reads a room with its member count and last seq, for any user', async () => {
    const { createRoom, joinRoom, publishEvent, getRoom } = useCases(new InMemoryUnitOfWork(), new RecordingPusher());
    await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby', capacity: 5 });
    await joinRoom.execute(person('bob'), 'lobby');
    await publishEvent.execute(person('ann'), 'lobby', 'chat', { text: 'hi' });

    const room = await getRoom.execute('lobby');

    expect(room).toMatchObject({ id: 'lobby', name: 'Lobby', capacity: 5, memberCount: 2, lastSeq: 2 });
  });

  it('throws RoomNotFound for an unknown room', async () => {
    const attempt = useCases(new InMemoryUnitOfWork(), new RecordingPusher()).getRoom.execute('ghost');
    await expect(attempt).rejects.toBeInstanceOf(RoomNotFound);
    await expect(attempt).rejects.toMatchObject({ code: 'room_not_found' });
  });
});
