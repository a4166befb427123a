import type { EventEmitter } from 'node:events';

/** Wires `wake` to an event that fires whenever a condition may have changed; returns what unwires it. */
export type Signal = (wake: () => void) => () => void;

/** The signal of one event of a Node emitter (a socket's 'message', 'close', 'ping' ...). */
export function onEvent(emitter: EventEmitter, name: string): Signal {
  return (wake) => {
    emitter.on(name, wake);
    return () => emitter.off(name, wake);
  };
}

/**
 * Resolves once `condition` holds, checking it now and again each time one of `signals` fires:
 * the wait for the event that changes the condition, with no polling. A signal must fire after
 * the state `condition` reads is updated (register the recording listener first). Rejects with
 * `what` after `timeoutMs`.
 */
export function when(
  condition: () => boolean,
  signals: Signal | readonly Signal[],
  timeoutMs: number,
  what: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const unwires: (() => void)[] = [];
    const finish = (error?: Error) => {
      clearTimeout(timer);
      for (const unwire of unwires.splice(0)) unwire();
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      try {
        if (condition()) finish();
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const timer = setTimeout(() => finish(new Error(`${what} not met within ${timeoutMs} ms`)), timeoutMs);
    for (const signal of Array.isArray(signals) ? signals : [signals]) unwires.push((signal as Signal)(check));
    check();
  });
}

/** Settles as `promise` does, or rejects with `what` after `timeoutMs`. */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not met within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * A poll, for a condition no event from the test's side signals (the Hub's counts after the server
 * saw a socket close, a value read over another process's REST API): checks `probe` every few
 * milliseconds; rejects with `what` after `timeoutMs`. Wait with `when` wherever an event exists.
 */
export async function eventually(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Like `eventually`, for a probe that must ask something else (a server, a process) each time. */
export async function eventuallyAsync(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
