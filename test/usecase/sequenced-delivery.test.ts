import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../src/domain/room-event.js';
import { SequencedDelivery } from '../../src/usecase/sequenced-delivery.js';
import { onEvent, when } from '../support/eventually.js';
import { nextTurn } from '../support/gate.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';

/** A store holding room `r` with `count` events, and a delivery to a recording pusher. */
async function setUp(count: number, pageSize = 7) {
  const uow = new InMemoryUnitOfWork();
  await uow.repos.rooms.create({ id: 'r', name: 'r', capacity: 10, epoch: 'e' });
  const events: RoomEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    events.push(await uow.repos.events.append({ room: 'r', type: 'tick', data: i, sender: 'ann' }));
  }
  const calls = new EventEmitter();
  const pusher = new RecordingPusher(() => calls.emit('call'));
  const errors: unknown[] = [];
  const delivery = new SequencedDelivery(uow, pusher, {
    pageSize,
    retryDelayMs: 1,
    reportError: (error) => errors.push(error),
  });
  /**
   * Resolves once `n` events were pushed (checked at each call the delivery makes on the pusher),
   * and a turn later, so that a push too many would be seen by the assertions that follow.
   */
  const pushedCount = async (n: number) => {
    await when(() => pusher.pushed.length >= n, onEvent(calls, 'call'), 10_000, `${n} events pushed`);
    await nextTurn();
  };
  return { uow, events, pusher, delivery, errors, pushedCount };
}

const delivered = (pusher: RecordingPusher) => pusher.pushed.map((event) => event.seq);

describe('SequencedDelivery', () => {
  it('ignores rooms nobody here follows', async () => {
    const { events, pusher, delivery } = await setUp(3);
    events.forEach((event) => delivery.accept(event));
    expect(pusher.pushed).toEqual([]);
  });

  it('starts after the seq the room had when followed, and delivers in-order events at once', async () => {
    const { uow, events, pusher, delivery } = await setUp(3);
    await delivery.follow('r');
    const next = await uow.repos.events.append({ room: 'r', type: 'tick', data: 3, sender: 'ann' });
    events.forEach((event) => delivery.accept(event));
    delivery.accept(next);
    expect(delivered(pusher)).toEqual([4]);
  });

  it('follows a room created just after it was first read, from seq 1', async () => {
    const { uow, pusher, delivery } = await setUp(0);
    await delivery.follow('late');
    await uow.repos.rooms.create({ id: 'late', name: 'late', capacity: 10, epoch: 'e' });
    const first = await uow.repos.events.append({ room: 'late', type: 'tick', data: 0, sender: 'ann' });
    delivery.accept(first);
    expect(pusher.pushed).toEqual([first]);
    expect(delivery.followedRooms).toBe(1);
  });

  it('reads a gap from the store before delivering the event past it', async () => {
    const { uow, pusher, delivery, pushedCount } = await setUp(0);
    await delivery.follow('r');
    const stored: RoomEvent[] = [];
    for (let i = 0; i < 20; i += 1) {
      stored.push(await uow.repos.events.append({ room: 'r', type: 'tick', data: i, sender: 'ann' }));
    }
    delivery.accept(stored[19]!);
    delivery.accept(stored[3]!);
    await pushedCount(20);
    expect(delivered(pusher)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('catches every followed room up to the store after a broker outage', async () => {
    const { uow, pusher, delivery } = await setUp(0);
    await delivery.follow('r');
    for (let i = 0; i < 10; i += 1) await uow.repos.events.append({ room: 'r', type: 'tick', data: i, sender: 'ann' });
    await delivery.catchUpAll();
    expect(delivered(pusher)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('retries a failing store read until it answers', async () => {
    const { uow, pusher, delivery, errors, pushedCount } = await setUp(0);
    await delivery.follow('r');
    const stored: RoomEvent[] = [];
    for (let i = 0; i < 5; i += 1) {
      stored.push(await uow.repos.events.append({ room: 'r', type: 'tick', data: i, sender: 'ann' }));
    }
    const listAfter = uow.repos.events.listAfter.bind(uow.repos.events);
    let failures = 2;
    uow.repos.events.listAfter = (...args) => (failures-- > 0 ? Promise.reject(new Error('down')) : listAfter(...args));
    delivery.accept(stored[4]!);
    await pushedCount(5);
    expect(delivered(pusher)).toEqual([1, 2, 3, 4, 5]);
    expect(errors).toHaveLength(2);
  });

  it('forgets idle rooms nobody wants, and follows them afresh later', async () => {
    const { uow, pusher, delivery } = await setUp(2);
    await delivery.follow('r');
    delivery.forget(() => false);
    expect(delivery.followedRooms).toBe(0);
    const third = await uow.repos.events.append({ room: 'r', type: 'tick', data: 2, sender: 'ann' });
    delivery.accept(third);
    await delivery.follow('r');
    delivery.accept(third);
    expect(pusher.pushed).toEqual([]);
  });

  it('delivers each seq once, in order, whatever the arrival order and repeats', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        fc.integer({ min: 1, max: 10 }),
        async (count, picks, pageSize) => {
          const { uow, pusher, delivery, pushedCount } = await setUp(0, pageSize);
          await delivery.follow('r');
          const stored: RoomEvent[] = [];
          for (let i = 0; i < count; i += 1) {
            stored.push(await uow.repos.events.append({ room: 'r', type: 'tick', data: i, sender: 'ann' }));
          }
          // Random arrivals (some repeated, some never arriving), then the last one, as a broker would.
          for (const pick of picks) delivery.accept(stored[pick % count]!);
          delivery.accept(stored[count - 1]!);
          await pushedCount(count);
          expect(delivered(pusher)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
        },
      ),
      { numRuns: 200 },
    );
  });
});
