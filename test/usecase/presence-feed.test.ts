import { describe, expect, it } from 'vitest';
import type { PresentUser } from '../../src/domain/ports/presence.js';
import type { PresenceUpdate } from '../../src/domain/presence-update.js';
import { LocalPresence } from '../../src/local/local-presence.js';
import { PresenceFeed } from '../../src/usecase/presence-feed.js';
import { person } from '../support/fakes/fixtures.js';

/** A feed over LocalPresence (`tracker`, which the Hub tells of connections) whose reads a test may slow down or fail; `updates` are what it pushed. */
function feedWith(diffMs = 20) {
  const tracker = new LocalPresence((error) => {
    throw error;
  });
  const read = tracker.inRoom.bind(tracker);
  const reads: { hold?: Promise<void>; fail?: Error }[] = [];
  tracker.inRoom = async (roomId: string): Promise<PresentUser[]> => {
    const next = reads.shift();
    await next?.hold;
    if (next?.fail) throw next.fail;
    return read(roomId);
  };
  const reported: unknown[] = [];
  const feed = new PresenceFeed(tracker, { diffMs, maxListed: 10, reportError: (error) => reported.push(error) });
  const updates: PresenceUpdate[] = [];
  let heard: () => void = () => undefined;
  feed.deliverTo({
    pushPresence: (update) => {
      updates.push(update);
      heard();
    },
  });
  const pushed = (count: number) =>
    new Promise<void>((resolve) => {
      heard = () => updates.length >= count && resolve();
      heard();
    });
  return { feed, tracker, updates, pushed, reads, reported };
}

const ann = person('ann');
const bob = person('bob');
const users = (update: PresenceUpdate | undefined) => update?.snapshot.users?.map((user) => user.userId);

describe('PresenceFeed', () => {
  it("gathers a room's changes over one window into one update; a second connection is no change", async () => {
    const { tracker, updates, pushed } = feedWith();
    tracker.connected('r', ann);
    tracker.connected('r', ann);
    tracker.connected('r', bob);
    tracker.connected('s', bob);
    await pushed(2);
    expect(updates.map((update) => update.change)).toEqual([
      {
        room: 'r',
        count: 2,
        joined: [
          { userId: 'ann', name: 'Ann' },
          { userId: 'bob', name: 'Bob' },
        ],
        left: [],
      },
      { room: 's', count: 1, joined: [{ userId: 'bob', name: 'Bob' }], left: [] },
    ]);
    tracker.disconnected('r', ann);
    tracker.disconnected('r', bob);
    await pushed(3);
    expect(updates[2]!.change).toEqual({ room: 'r', count: 1, joined: [], left: ['bob'] });
  });

  it('opens a window for a wanted snapshot, and sends it with no change when nothing changed', async () => {
    const { feed, tracker, updates, pushed } = feedWith();
    tracker.connected('r', ann);
    await pushed(1);
    feed.snapshotWanted('r');
    await pushed(2);
    expect(updates[1]).toEqual({ snapshot: { room: 'r', count: 1, users: [{ userId: 'ann', name: 'Ann' }] } });
  });

  it("pushes a room's windows in the order they closed, even when an earlier read is slower", async () => {
    const { tracker, updates, pushed, reads } = feedWith(5);
    let release: () => void = () => undefined;
    reads.push({ hold: new Promise<void>((resolve) => (release = resolve)) }, {});
    tracker.connected('r', ann);
    await new Promise((resolve) => setTimeout(resolve, 30));
    tracker.connected('r', bob);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(updates).toEqual([]);
    release();
    await pushed(2);
    expect(updates.map(users)).toEqual([
      ['ann', 'bob'],
      ['ann', 'bob'],
    ]);
    expect(updates.map((update) => update.change && 'joined' in update.change && update.change.joined)).toEqual([
      [{ userId: 'ann', name: 'Ann' }],
      [{ userId: 'bob', name: 'Bob' }],
    ]);
  });

  it('reports a failed read once and retries the window with its changes kept', async () => {
    const { tracker, updates, pushed, reads, reported } = feedWith();
    const outage = new Error('Redis is down');
    reads.push({ fail: outage }, { fail: outage }, {});
    tracker.connected('r', ann);
    await pushed(1);
    expect(reported).toEqual([outage]);
    expect(updates[0]!.change).toEqual({ room: 'r', count: 1, joined: [{ userId: 'ann', name: 'Ann' }], left: [] });
  });

  it('closes every open window at once on flush', async () => {
    const { feed, tracker, updates } = feedWith(60_000);
    tracker.connected('r', ann);
    feed.snapshotWanted('s');
    await Promise.resolve(); // LocalPresence tells of a change after the call that noticed it
    await feed.flush();
    expect(updates.map((update) => update.snapshot.room).sort()).toEqual(['r', 's']);
  });
});
