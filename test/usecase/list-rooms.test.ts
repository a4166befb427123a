import { describe, expect, it } from 'vitest';
import { CreateRoom } from '../../src/usecase/create-room.js';
import { ListRooms } from '../../src/usecase/list-rooms.js';
import { person } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';

async function withRooms(ids: string[]): Promise<InMemoryUnitOfWork> {
  const uow = new InMemoryUnitOfWork();
  for (const id of ids) await new CreateRoom(uow).execute(person('ann'), { id, name: id });
  return uow;
}

describe('ListRooms', () => {
  it('returns an empty last page when there are no rooms', async () => {
    expect(await new ListRooms(new InMemoryUnitOfWork()).execute({ limit: 10 })).toEqual({ items: [], nextKey: null });
  });

  it('lists every room by id ascending, page by page', async () => {
    const listRooms = new ListRooms(await withRooms(['delta', 'alpha', 'echo', 'charlie', 'bravo']));

    const first = await listRooms.execute({ limit: 2 });
    const second = await listRooms.execute({ limit: 2, afterKey: first.nextKey ?? undefined });
    const third = await listRooms.execute({ limit: 2, afterKey: second.nextKey ?? undefined });

    expect(first.items.map((room) => room.id)).toEqual(['alpha', 'bravo']);
    expect(first.nextKey).toBe('bravo');
    expect(second.items.map((room) => room.id)).toEqual(['charlie', 'delta']);
    expect(third.items.map((room) => room.id)).toEqual(['echo']);
    expect(third.nextKey).toBeNull();
  });

  it('ends with a null nextKey when the last page is exactly full', async () => {
    const page = await new ListRooms(await withRooms(['a', 'b'])).execute({ limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextKey).toBeNull();
  });

  it('carries each room with its member count', async () => {
    const page = await new ListRooms(await withRooms(['a'])).execute({ limit: 10 });
    expect(page.items[0]).toMatchObject({ id: 'a', memberCount: 1, lastSeq: 0 });
  });
});
