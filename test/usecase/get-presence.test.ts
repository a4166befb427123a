import { describe, expect, it } from 'vitest';
import { Forbidden, RoomNotFound } from '../../src/domain/errors.js';
import type { Presence, PresentUser } from '../../src/domain/ports/presence.js';
import { person, service } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';
import { useCases } from '../support/fakes/use-cases.js';

const PRESENT: PresentUser[] = [
  { userId: 'ann', name: 'Ann', connections: 2 },
  { userId: 'bob', name: 'Bob', connections: 1 },
];

/** A presence port that answers for one room and notes which rooms it was asked about. */
class StubPresence implements Presence {
  readonly asked: string[] = [];
  async inRoom(roomId: string): Promise<PresentUser[]> {
    this.asked.push(roomId);
    return roomId === 'lobby' ? PRESENT : [];
  }
}

async function setUp() {
  const presence = new StubPresence();
  const { createRoom, getPresence } = useCases(new InMemoryUnitOfWork(), new RecordingPusher(), presence);
  await createRoom.execute(person('ann'), { id: 'lobby', name: 'Lobby' });
  return { presence, getPresence };
}

describe('GetPresence', () => {
  it('tells a member who is connected to the room', async () => {
    const { presence, getPresence } = await setUp();
    expect(await getPresence.execute(person('ann'), 'lobby')).toEqual(PRESENT);
    expect(presence.asked).toEqual(['lobby']);
  });

  it('tells a service without it being a member', async () => {
    const { getPresence } = await setUp();
    expect(await getPresence.execute(service(), 'lobby')).toEqual(PRESENT);
  });

  it('refuses a user who is not a member with forbidden, without asking', async () => {
    const { presence, getPresence } = await setUp();
    await expect(getPresence.execute(person('eve'), 'lobby')).rejects.toBeInstanceOf(Forbidden);
    expect(presence.asked).toEqual([]);
  });

  it('throws RoomNotFound for an unknown room', async () => {
    const { presence, getPresence } = await setUp();
    await expect(getPresence.execute(person('ann'), 'ghost')).rejects.toBeInstanceOf(RoomNotFound);
    await expect(getPresence.execute(service(), 'ghost')).rejects.toBeInstanceOf(RoomNotFound);
    expect(presence.asked).toEqual([]);
  });
});
