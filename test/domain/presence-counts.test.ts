import { describe, expect, it } from 'vitest';
import { PresenceCounts } from '../../src/domain/presence-counts.js';

describe('PresenceCounts', () => {
  it("counts a user's connections per room, forgets a user at zero, and lists a snapshot", () => {
    const counts = new PresenceCounts();
    const ann = { id: 'ann', name: 'Ann' };
    expect(counts.add('r', ann)).toBe(1);
    expect(counts.add('r', ann)).toBe(2);
    expect(counts.add('s', { id: 'bob', name: 'Bob' })).toBe(1);
    expect(counts.inRoom('r')).toEqual([{ userId: 'ann', name: 'Ann', connections: 2 }]);
    expect(counts.all()).toEqual([
      { roomId: 'r', present: { userId: 'ann', name: 'Ann', connections: 2 } },
      { roomId: 's', present: { userId: 'bob', name: 'Bob', connections: 1 } },
    ]);
    expect(counts.remove('r', 'ann')).toBe(1);
    expect(counts.remove('r', 'ann')).toBe(0);
    expect(counts.remove('r', 'ann')).toBeUndefined();
    expect(counts.inRoom('r')).toEqual([]);
    expect(counts.all()).toHaveLength(1);
  });
});
