import { describe, expect, it } from 'vitest';
import { Forbidden, RoomNotFound } from '../../src/domain/errors.js';
import { person, service } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';
import { useCases } from '../support/fakes/use-cases.js';

async function setUp() {
  const uow = new InMemoryUnitOfWork();
  const { createRoom, joinRoom, listMembers } = useCases(uow, new RecordingPusher());
  await createRoom.execute(person('carl'), { id: 'lobby', name: 'Lobby' });
  for (const id of ['bob', 'ann', 'dana']) await joinRoom.execute(person(id), 'lobby');
  return { uow, listMembers };
}

describe('ListMembers', () => {
  it('lists the members by user id for a member, page by page', async () => {
    const { listMembers } = await setUp();

    const first = await listMembers.execute(person('bob'), 'lobby', { limit: 3 });
    const second = await listMembers.execute(person('bob'), 'lobby', {
      limit: 3,
      afterKey: first.nextKey ?? undefined,
    });

    expect(first.items.map((member) => member.userId)).toEqual(['ann', 'bob', 'carl']);
    expect(first.nextKey).toBe('carl');
    expect(second.items.map((member) => member.userId)).toEqual(['dana']);
    expect(second.nextKey).toBeNull();
    expect(first.items[0]).toMatchObject({ roomId: 'lobby', name: 'Ann' });
    expect(first.items[0]?.joinedAt).toBeInstanceOf(Date);
  });

  it('lets a service list without being a member', async () => {
    const { uow, listMembers } = await setUp();
    const page = await listMembers.execute(service(), 'lobby', { limit: 10 });
    expect(page.items.map((member) => member.userId)).toEqual(['ann', 'bob', 'carl', 'dana']);
    expect(uow.memberIds('lobby')).not.toContain('backend');
  });

  it('refuses a user who is not a member with forbidden', async () => {
    const { listMembers } = await setUp();
    const attempt = listMembers.execute(person('eve'), 'lobby', { limit: 10 });
    await expect(attempt).rejects.toBeInstanceOf(Forbidden);
    await expect(attempt).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('throws RoomNotFound for an unknown room, for users and services alike', async () => {
    const { listMembers } = await setUp();
    await expect(listMembers.execute(person('bob'), 'ghost', { limit: 10 })).rejects.toBeInstanceOf(RoomNotFound);
    await expect(listMembers.execute(service(), 'ghost', { limit: 10 })).rejects.toBeInstanceOf(RoomNotFound);
  });
});
