import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../src/domain/room-event.js';
import { OrderedPublisher } from '../../src/usecase/ordered-publisher.js';
import { roomEvent } from '../support/fakes/fixtures.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';

/** A store whose result the test decides; `started` settles when the publisher calls it. */
function gate<T>() {
  let resolve: (value: T) => void = () => undefined;
  const result = new Promise<T>((settle) => {
    resolve = settle;
  });
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((settle) => {
    markStarted = settle;
  });
  const state = { hasStarted: false };
  const store = () => {
    state.hasStarted = true;
    markStarted();
    return result;
  };
  return { store, started, state, resolve };
}

/** A publisher whose pushes are recorded. */
function recordingPublisher(): { pusher: RecordingPusher; publisher: OrderedPublisher } {
  const pusher = new RecordingPusher();
  return { pusher, publisher: new OrderedPublisher(pusher) };
}

/** Lets every pending promise callback run (the publisher forgets an idle room one turn after its last store). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('OrderedPublisher', () => {
  it("starts a room's next store only after the previous one was pushed, so pushes follow seq order", async () => {
    const { pusher, publisher } = recordingPublisher();
    const first = gate<RoomEvent>();
    const second = gate<RoomEvent>();

    const firstResult = publisher.storeAndPush('r', first.store);
    const secondResult = publisher.storeAndPush('r', second.store);
    await first.started;
    await nextTurn();
    expect(second.state.hasStarted).toBe(false);

    first.resolve(roomEvent('r', 1));
    expect(await firstResult).toMatchObject({ seq: 1 });
    second.resolve(roomEvent('r', 2));
    expect(await secondResult).toMatchObject({ seq: 2 });
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2]);
  });

  it('pushes nothing for a store that stored nothing', async () => {
    const pusher = new RecordingPusher();
    expect(await new OrderedPublisher(pusher).storeAndPush('r', async () => null)).toBeNull();
    expect(pusher.calls).toEqual([]);
  });

  it("hands a failed store's error to its caller and goes on with the room's next store", async () => {
    const { pusher, publisher } = recordingPublisher();
    const failing = publisher.storeAndPush('r', async () => {
      throw new Error('store failed');
    });
    const next = publisher.storeAndPush('r', async () => roomEvent('r', 1));
    await expect(failing).rejects.toThrow('store failed');
    expect(await next).toMatchObject({ seq: 1 });
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1]);
  });

  it('does not make one room wait for another', async () => {
    const { pusher, publisher } = recordingPublisher();
    const slow = gate<RoomEvent>();
    const slowResult = publisher.storeAndPush('a', slow.store);

    expect(await publisher.storeAndPush('b', async () => roomEvent('b', 1))).toMatchObject({ room: 'b' });
    expect(pusher.pushed.map((event) => event.room)).toEqual(['b']);
    await nextTurn();
    expect(publisher.busyRooms).toBe(1);

    slow.resolve(roomEvent('a', 1));
    await slowResult;
    expect(pusher.pushed.map((event) => event.room)).toEqual(['b', 'a']);
  });

  it('keeps nothing per room once idle', async () => {
    const publisher = new OrderedPublisher(new RecordingPusher());
    const results = ['a', 'b', 'a'].map((room, index) =>
      publisher.storeAndPush(room, async () => roomEvent(room, index + 1)),
    );
    results.push(
      publisher.storeAndPush('c', async () => Promise.reject(new Error('no'))).catch(() => roomEvent('c', 1)),
    );
    await Promise.all(results);
    await nextTurn();
    expect(publisher.busyRooms).toBe(0);
  });

  it("starts a room's appends back to back, and pushes them in call order whichever is stored first", async () => {
    const { pusher, publisher } = recordingPublisher();
    const first = gate<RoomEvent>();
    const second = gate<RoomEvent>();
    const firstResult = publisher.appendAndPush('r', first.store);
    const secondResult = publisher.appendAndPush('r', second.store);
    await Promise.all([first.started, second.started]);

    second.resolve(roomEvent('r', 2));
    await nextTurn();
    expect(pusher.pushed).toEqual([]);
    first.resolve(roomEvent('r', 1));
    expect(await firstResult).toMatchObject({ seq: 1 });
    expect(await secondResult).toMatchObject({ seq: 2 });
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2]);
  });

  it('keeps appends and units of work apart: neither starts while the other kind runs before it', async () => {
    const { pusher, publisher } = recordingPublisher();
    const append = gate<RoomEvent>();
    const unit = gate<RoomEvent>();
    const later = gate<RoomEvent>();
    const appended = publisher.appendAndPush('r', append.store);
    const stored = publisher.storeAndPush('r', unit.store);
    const laterAppended = publisher.appendAndPush('r', later.store);
    await append.started;
    await nextTurn();
    expect(unit.state.hasStarted).toBe(false);

    append.resolve(roomEvent('r', 1));
    await unit.started;
    await nextTurn();
    expect(later.state.hasStarted).toBe(false);
    unit.resolve(roomEvent('r', 2));
    await later.started;
    later.resolve(roomEvent('r', 3));
    await Promise.all([appended, stored, laterAppended]);
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2, 3]);
    await nextTurn();
    expect(publisher.busyRooms).toBe(0);
  });

  it("hands a failed append's error to its caller only after the earlier pushes, and pushes the rest in order", async () => {
    const { pusher, publisher } = recordingPublisher();
    const first = gate<RoomEvent>();
    const firstResult = publisher.appendAndPush('r', first.store);
    let failed = false;
    const failing = publisher
      .appendAndPush('r', async () => {
        throw new Error('append failed');
      })
      .catch((error: Error) => {
        failed = true;
        expect(pusher.pushed.map((event) => event.seq)).toEqual([1]);
        return error.message;
      });
    const third = publisher.appendAndPush('r', async () => roomEvent('r', 2));
    await nextTurn();
    expect(failed).toBe(false);
    first.resolve(roomEvent('r', 1));
    expect(await failing).toBe('append failed');
    await Promise.all([firstResult, third]);
    expect(pusher.pushed.map((event) => event.seq)).toEqual([1, 2]);
  });
});
