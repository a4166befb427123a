import { describe, expect, it } from 'vitest';
import type { PresenceFrame } from '../../client/src/protocol.js';
import { type RoomPresence, applyPresence } from '../../client/src/room-presence.js';

const ann = { userId: 'ann', name: 'Ann' };
const bob = { userId: 'bob', name: 'Bob' };
const carol = { userId: 'carol', name: 'Carol' };

/** A presence frame of room `r`. */
const frame = (fields: Omit<PresenceFrame, 'op' | 'room'>): PresenceFrame => ({ op: 'presence', room: 'r', ...fields });

/** The state after applying `frames` in turn to no state. */
function stateAfter(...frames: PresenceFrame[]): RoomPresence | undefined {
  return frames.reduce<RoomPresence | undefined>((state, next) => applyPresence(state, next).presence, undefined);
}

describe('applyPresence', () => {
  it('a snapshot replaces the state whatever it was, and reports no joined or left', () => {
    const before = stateAfter(frame({ count: 2, users: [ann, bob] }));
    const change = applyPresence(before, frame({ count: 2, users: [ann, carol] }));
    expect(change).toEqual({
      presence: {
        count: 2,
        users: new Map([
          ['ann', 'Ann'],
          ['carol', 'Carol'],
        ]),
      },
      joined: [],
      left: [],
    });
  });

  it('a diff sets joined by id and deletes left by id, in a new state that leaves the old one as it was', () => {
    const before = stateAfter(frame({ count: 2, users: [ann, bob] }));
    const change = applyPresence(
      before,
      frame({ count: 2, joined: [carol, { userId: 'ann', name: 'Ann B.' }], left: ['bob'] }),
    );
    expect(change.presence).toEqual({
      count: 2,
      users: new Map([
        ['ann', 'Ann B.'],
        ['carol', 'Carol'],
      ]),
    });
    expect(change.joined).toEqual([carol, { userId: 'ann', name: 'Ann B.' }]);
    expect(change.left).toEqual(['bob']);
    expect(before).toEqual({
      count: 2,
      users: new Map([
        ['ann', 'Ann'],
        ['bob', 'Bob'],
      ]),
    });
  });

  it('applying the same diff twice changes nothing more, and leaving twice is harmless', () => {
    const diff = frame({ count: 2, joined: [bob], left: ['carol'] });
    const once = stateAfter(frame({ count: 2, users: [ann, carol] }), diff);
    expect(stateAfter(frame({ count: 2, users: [ann, carol] }), diff, diff)).toEqual(once);
    expect(once).toEqual({
      count: 2,
      users: new Map([
        ['ann', 'Ann'],
        ['bob', 'Bob'],
      ]),
    });
  });

  it('a diff may leave out an empty joined or left', () => {
    const state = stateAfter(
      frame({ count: 1, users: [ann] }),
      frame({ count: 2, joined: [bob] }),
      frame({ count: 1, left: ['ann'] }),
    );
    expect(state).toEqual({ count: 1, users: new Map([['bob', 'Bob']]) });
  });

  it('a count alone (over the listing limit) drops the list, and a later snapshot brings it back', () => {
    const countOnly = stateAfter(frame({ count: 2, users: [ann, bob] }), frame({ count: 150 }));
    expect(countOnly).toEqual({ count: 150, users: undefined });
    expect(applyPresence(countOnly, frame({ count: 2, users: [ann, bob] })).presence.users?.size).toBe(2);
  });

  it('a diff with no list to apply to keeps the count only, and still reports what it changed', () => {
    const change = applyPresence(
      { count: 150, users: undefined },
      frame({ count: 100, joined: [carol], left: ['bob'] }),
    );
    expect(change).toEqual({ presence: { count: 100, users: undefined }, joined: [carol], left: ['bob'] });
    expect(applyPresence(undefined, frame({ count: 1, joined: [ann], left: [] })).presence).toEqual({
      count: 1,
      users: undefined,
    });
  });
});
