/** How often a paced close hands out its next batch. */
export const PACED_CLOSE_TICK_MS = 100;

/**
 * Closes `clients` over `windowMs`: a batch every tick, in random order, so that the clients'
 * reconnects spread over the same window on the nodes that take them, rather than arriving as one
 * storm. Resolves when the window is over (at once for a window of 0, after closing them all).
 */
export async function closePaced<T>(
  clients: readonly T[],
  windowMs: number,
  close: (client: T) => void,
): Promise<void> {
  const order = shuffled(clients);
  const ticks = Math.max(1, Math.floor(windowMs / PACED_CLOSE_TICK_MS));
  const perTick = Math.ceil(order.length / ticks);
  const startedAt = Date.now();
  for (let tick = 0; tick < ticks; tick += 1) {
    for (const client of order.slice(tick * perTick, (tick + 1) * perTick)) close(client);
    const nextTickAt = startedAt + ((tick + 1) * windowMs) / ticks;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextTickAt - Date.now())));
  }
}

/** A copy in random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
