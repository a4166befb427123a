import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PACED_CLOSE_TICK_MS, closePaced } from '../../../src/web/ws/paced-close.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const clientsNumbered = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('closePaced', () => {
  it('closes an even share each tick, every client once, and resolves when the window is over', async () => {
    const closed: number[] = [];
    let isOver = false;
    void closePaced(clientsNumbered(25), 5 * PACED_CLOSE_TICK_MS, (client) => closed.push(client)).then(
      () => (isOver = true),
    );
    const closedByTick: number[] = [closed.length];
    for (let tick = 1; tick <= 5; tick += 1) {
      await vi.advanceTimersByTimeAsync(PACED_CLOSE_TICK_MS);
      closedByTick.push(closed.length);
    }
    expect(closedByTick).toEqual([5, 10, 15, 20, 25, 25]);
    expect(isOver).toBe(true);
    expect([...closed].sort((a, b) => a - b)).toEqual(clientsNumbered(25));
  });

  it('closes in random order', () => {
    const orders = new Set<string>();
    for (let run = 0; run < 5; run += 1) {
      const closed: number[] = [];
      // A window of 0 closes everyone before it first waits.
      void closePaced(clientsNumbered(50), 0, (client) => closed.push(client));
      orders.add(closed.join(','));
    }
    // Five runs of 50 clients in the same order would be a 1 in (50!)^4 chance.
    expect(orders.size).toBeGreaterThan(1);
  });

  it('closes everyone at once and resolves at once for a window of 0', async () => {
    const closed: number[] = [];
    const done = closePaced(clientsNumbered(3), 0, (client) => closed.push(client));
    expect(closed).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(0);
    await expect(done).resolves.toBeUndefined();
  });

  it('waits out the window even with nobody to close, as the load balancer needs', async () => {
    let isOver = false;
    void closePaced([], 3 * PACED_CLOSE_TICK_MS, () => undefined).then(() => (isOver = true));
    await vi.advanceTimersByTimeAsync(3 * PACED_CLOSE_TICK_MS - 1);
    expect(isOver).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(isOver).toBe(true);
  });
});
