import { describe, expect, it } from 'vitest';
import type { Repositories, UnitOfWork } from '../../src/domain/ports/repositories.js';
import type { NewRoomEvent, RoomEvent } from '../../src/domain/room-event.js';
import { OrderedPublisher } from '../../src/usecase/ordered-publisher.js';
import { roomEvent } from '../support/fakes/fixtures.js';
import { gate, nextTurn } from '../support/gate.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';

/**
 * A publisher whose pushes are recorded, over a store the test scripts: a transaction runs the
 * work it is given, and `appending(store)` makes an event whose append is answered by `store`.
 */
function recordingPublisher() {
  const pusher = new RecordingPusher();
  const appends = new Map<string, () => Promise<RoomEvent>>();
  const repos = { events: { append: (event: NewRoomEvent) => appends.get(event.type)!() } } as unknown as Repositories;
  const uow: UnitOfWork = { repos, run: (work) => work(repos) };
  const appending = (store: () => Promise<RoomEvent>): NewRoomEvent => {
    const type = `append-${appends.size}`;
    appends.set(type, store);
    return { room: 'r', type, data: null, sender: 'ann' };
  };
  return { pusher, publisher: new OrderedPublisher(uow, pusher), appending };
}

describe('OrderedPublisher', () => {
  it("starts a room's next store only after the previous one was pushed, so pushes follow seq order", async () => {
    const { pusher, publisher } = recordingPublisher();
    const first = gate<RoomEvent>();
    const second = gate<RoomEvent>();

    const firstResult = publisher.publishInTransaction('r', first.wait);
    const secondResult = publisher.publishInTransaction('r', second.wait);
    await first.started;
    await nextTurn();
    expect(second.hasStarted()).toBe(false);

    first.resolve(roomEvent('r', 1));
    expect(await firstResult).toMatchObject({ seq: 1 });
    second.resolve(roomEvent('r', 2));
    expect(await secondResult).toMatchObject({ seq: 2 });
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2]);
  });

  it('pushes nothing for a store that stored nothing', async () => {
    const { pusher, publisher } = recordingPublisher();
    expect(await publisher.publishInTransaction('r', async () => null)).toBeNull();
    expect(pusher.calls).toEqual([]);
  });

  it("hands a failed store's error to its caller and goes on with the room's next store", async () => {
    const { pusher, publisher } = recordingPublisher();
    const failing = publisher.publishInTransaction('r', async () => {
      throw new Error('store failed');
    });
    const next = publisher.publishInTransaction('r', async () => roomEvent('r', 1));
    await expect(failing).rejects.toThrow('store failed');
    expect(await next).toMatchObject({ seq: 1 });
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1]);
  });

  it('does not make one room wait for another', async () => {
    const { pusher, publisher } = recordingPublisher();
    const slow = gate<RoomEvent>();
    const slowResult = publisher.publishInTransaction('a', slow.wait);

    expect(await publisher.publishInTransaction('b', async () => roomEvent('b', 1))).toMatchObject({ room: 'b' });
    expect(pusher.pushed.map((event) => event.room)).toEqual(['b']);
    await nextTurn();
    expect(publisher.busyRooms).toBe(1);

    slow.resolve(roomEvent('a', 1));
    await slowResult;
    expect(pusher.pushed.map((event) => event.room)).toEqual(['b', 'a']);
  });

  it('keeps nothing per room once idle', async () => {
    const { publisher } = recordingPublisher();
    const results = ['a', 'b', 'a'].map((room, index) =>
      publisher.publishInTransaction(room, async () => roomEvent(room, index + 1)),
    );
    results.push(
      publisher.publishInTransaction('c', async () => Promise.reject(new Error('no'))).catch(() => roomEvent('c', 1)),
    );
    await Promise.all(results);
    await nextTurn();
    expect(publisher.busyRooms).toBe(0);
  });

  it("starts a room's appends back to back, and pushes them in call order whichever is stored first", async () => {
    const { pusher, publisher, appending } = recordingPublisher();
    const first = gate<RoomEvent>();
    const second = gate<RoomEvent>();
    const firstResult = publisher.publish(appending(first.wait));
    const secondResult = publisher.publish(appending(second.wait));
    await Promise.all([first.started, second.started]);

    second.resolve(roomEvent('r', 2));
    await nextTurn();
    expect(pusher.pushed).toEqual([]);
    first.resolve(roomEvent('r', 1));
    expect(await firstResult).toMatchObject({ seq: 1 });
    expect(await secondResult).toMatchObject({ seq: 2 });
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2]);
  });

  it('keeps appends and transactions apart: neither starts while the other kind runs before it', async () => {
    const { pusher, publisher, appending } = recordingPublisher();
    const append = gate<RoomEvent>();
    const unit = gate<RoomEvent>();
    const later = gate<RoomEvent>();
    const appended = publisher.publish(appending(append.wait));
    const stored = publisher.publishInTransaction('r', unit.wait);
    const laterAppended = publisher.publish(appending(later.wait));
    await append.started;
    await nextTurn();
    expect(unit.hasStarted()).toBe(false);

    append.resolve(roomEvent('r', 1));
    await unit.started;
    await nextTurn();
    expect(later.hasStarted()).toBe(false);
    unit.resolve(roomEvent('r', 2));
    await later.started;
    later.resolve(roomEvent('r', 3));
    await Promise.all([appended, stored, laterAppended]);
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2, 3]);
    await nextTurn();
    expect(publisher.busyRooms).toBe(0);
  });

  it("hands a failed append's error to its caller only after the earlier pushes, and pushes the rest in order", async () => {
    const { pusher, publisher, appending } = recordingPublisher();
    const first = gate<RoomEvent>();
    const firstResult = publisher.publish(appending(first.wait));
    let failed = false;
    const failing = publisher
      .publish(
        appending(async () => {
          throw new Error('append failed');
        }),
      )
      .catch((error: Error) => {
        failed = true;
        expect(pusher.pushed.map((event) => event.seq)).toEqual([1]);
        return error.message;
      });
    const third = publisher.publish(appending(async () => roomEvent('r', 2)));
    await nextTurn();
    expect(failed).toBe(false);
    first.resolve(roomEvent('r', 1));
    expect(await failing).toBe('append failed');
    await Promise.all([firstResult, third]);
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2]);
  });
});
