import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { OccupancyLedger } from '../../src/domain/ports/webhooks.js';
import type { User } from '../../src/domain/user.js';
import type { OccupancyChange } from '../../src/domain/webhook.js';
import { LocalPresence } from '../../src/local/local-presence.js';
import { RoomOccupancy } from '../../src/usecase/room-occupancy.js';
import { onEvent, when } from '../support/eventually.js';
import { gate, nextTurn } from '../support/gate.js';

/** A ledger in memory: each room's recorded occupancy, the result of every settlement that did not fail, and a way to hold or fail the next one. */
class FakeLedger extends EventEmitter implements OccupancyLedger {
  readonly occupied = new Set<string>();
  readonly settled: string[] = [];
  hold: Promise<void> | undefined;
  /** The next this many settlements fail. */
  failures = 0;
  inProgress = 0;
  maxInProgress = 0;

  async settle(roomId: string, isOccupied: () => Promise<boolean>): Promise<OccupancyChange | null> {
    this.inProgress += 1;
    this.maxInProgress = Math.max(this.maxInProgress, this.inProgress);
    try {
      await this.hold;
      if (this.failures > 0) {
        this.failures -= 1;
        throw new Error('database unavailable');
      }
      const now = await isOccupied();
      const change = now === this.occupied.has(roomId) ? null : now ? 'room.occupied' : 'room.vacated';
      if (now) this.occupied.add(roomId);
      else this.occupied.delete(roomId);
      this.settled.push(`${roomId}: ${change ?? 'no change'}`);
      return change;
    } finally {
      this.inProgress -= 1;
      this.emit('settled');
    }
  }

  async occupiedRooms(): Promise<string[]> {
    return [...this.occupied];
  }
}

const ann: User = { id: 'ann', name: 'Ann', isService: false };
const bob: User = { id: 'bob', name: 'Bob', isService: false };
let occupancy: RoomOccupancy | undefined;
afterEach(() => occupancy?.stop());

function setUp() {
  const presence = new LocalPresence(() => undefined);
  const ledger = new FakeLedger();
  const errors: string[] = [];
  occupancy = new RoomOccupancy(presence, ledger, {
    concurrency: 2,
    retryMs: 5,
    reportError: (error, roomId) => errors.push(`${roomId}: ${(error as Error).message}`),
  });
  const untilSettled = (count: number) =>
    when(() => ledger.settled.length >= count, onEvent(ledger, 'settled'), 5000, `${count} settlements`);
  return { presence, ledger, errors, occupancy, untilSettled };
}

describe('RoomOccupancy', () => {
  it('settles a room at each presence change: occupied with its first user, vacated after its last', async () => {
    const { presence, ledger, untilSettled } = setUp();
    presence.connected('lobby', ann);
    await untilSettled(1);
    presence.connected('lobby', bob);
    await untilSettled(2);
    presence.disconnected('lobby', ann);
    await untilSettled(3);
    presence.disconnected('lobby', bob);
    await untilSettled(4);
    expect(ledger.settled).toEqual([
      'lobby: room.occupied',
      'lobby: no change',
      'lobby: no change',
      'lobby: room.vacated',
    ]);
  });

  it('makes one more round for the changes that arrive during a settlement, not one each', async () => {
    const { presence, ledger, untilSettled } = setUp();
    const held = gate<void>();
    ledger.hold = held.wait();
    presence.connected('lobby', ann);
    await held.started;
    presence.connected('lobby', bob);
    presence.disconnected('lobby', ann);
    presence.disconnected('lobby', bob);
    presence.connected('lobby', ann);
    held.resolve();
    await untilSettled(2);
    await occupancy!.stop();
    expect(ledger.settled).toEqual(['lobby: room.occupied', 'lobby: no change']);
  });

  it('settles at most `concurrency` rooms at once, the others in turn', async () => {
    const { presence, ledger, untilSettled } = setUp();
    const held = gate<void>();
    ledger.hold = held.wait();
    for (const room of ['a', 'b', 'c', 'd']) presence.connected(room, ann);
    await held.started;
    await nextTurn();
    expect(ledger.inProgress).toBe(2);
    held.resolve();
    await untilSettled(4);
    expect(ledger.maxInProgress).toBe(2);
    expect(ledger.settled).toEqual(['a', 'b', 'c', 'd'].map((room) => `${room}: room.occupied`));
  });

  it('settles again later when a settlement fails, reporting the first failure of a streak', async () => {
    const { presence, ledger, errors, untilSettled } = setUp();
    ledger.failures = 3;
    presence.connected('lobby', ann);
    await untilSettled(1);
    expect(errors).toEqual(['lobby: database unavailable']);
    expect(ledger.settled).toEqual(['lobby: room.occupied']);
    ledger.failures = 1;
    presence.disconnected('lobby', ann);
    await untilSettled(2);
    expect(errors).toEqual(['lobby: database unavailable', 'lobby: database unavailable']);
  });

  it('vacates at reconcile the rooms recorded as occupied that nobody is in any more', async () => {
    const { presence, ledger, occupancy, untilSettled } = setUp();
    ledger.occupied.add('left-behind');
    ledger.occupied.add('still-here');
    presence.connected('still-here', ann);
    await untilSettled(1);
    await occupancy.reconcile();
    await untilSettled(3);
    expect(ledger.settled.slice(1).sort()).toEqual(['left-behind: room.vacated', 'still-here: no change']);
  });
});
