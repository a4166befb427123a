import { describe, expect, it } from 'vitest';
import type { PresentUser } from '../../src/domain/ports/presence.js';
import { PresenceWindow } from '../../src/domain/presence-window.js';

const ann = { userId: 'ann', name: 'Ann' };
const bob = { userId: 'bob', name: 'Bob' };
const carl = { userId: 'carl', name: 'Carl' };

function present(...users: { userId: string; name: string }[]): PresentUser[] {
  return users.map((user) => ({ ...user, connections: 1 }));
}

describe('PresenceWindow', () => {
  it('lists who joined and who left, judged by who is present when it closes', () => {
    const window = new PresenceWindow();
    window.note(ann, 'joined');
    window.note(bob, 'left');
    expect(window.close('r', present(ann, carl), 10)).toEqual({
      snapshot: { room: 'r', count: 2, users: [ann, carl] },
      change: { room: 'r', count: 2, joined: [ann], left: ['bob'] },
    });
  });

  it('sees no change in a user who ends where they started, whatever the order changes came in', () => {
    const window = new PresenceWindow();
    window.note(ann, 'left');
    window.note(ann, 'joined');
    window.note(bob, 'joined');
    window.note(bob, 'left');
    window.note(carl, 'left');
    // Carl's later join arrived before his leave was read: present now, as he was at the start.
    expect(window.close('r', present(ann, carl), 10)).toEqual({
      snapshot: { room: 'r', count: 2, users: [ann, carl] },
    });
  });

  it('gives a snapshot alone to a window opened only to send one', () => {
    expect(new PresenceWindow().close('r', present(ann), 10)).toEqual({
      snapshot: { room: 'r', count: 1, users: [ann] },
    });
  });

  it('carries counts alone above the listing limit, and nothing when the count did not move', () => {
    const joining = new PresenceWindow();
    joining.note(carl, 'joined');
    expect(joining.close('r', present(ann, bob, carl), 2)).toEqual({
      snapshot: { room: 'r', count: 3 },
      change: { room: 'r', count: 3 },
    });
    const swapping = new PresenceWindow();
    swapping.note(bob, 'left');
    swapping.note(carl, 'joined');
    expect(swapping.close('r', present(ann, carl, { userId: 'dora', name: 'Dora' }), 2)).toEqual({
      snapshot: { room: 'r', count: 3 },
    });
  });

  it('sends the whole list as the change when the room falls back under the limit', () => {
    const window = new PresenceWindow();
    window.note(carl, 'left');
    const snapshot = { room: 'r', count: 2, users: [ann, bob] };
    expect(window.close('r', present(ann, bob), 2)).toEqual({ snapshot, change: snapshot });
  });

  it("takes in a later window's changes, keeping its own first change for a user both saw", () => {
    const failed = new PresenceWindow();
    failed.note(ann, 'joined');
    const later = new PresenceWindow();
    later.note(ann, 'left');
    later.note(bob, 'joined');
    failed.absorb(later);
    expect(failed.close('r', present(bob), 10).change).toEqual({ room: 'r', count: 1, joined: [bob], left: [] });
  });
});
