import type { DeliverySink } from './delivery-sink.js';

/** How long a subscriber waits for its connection to open or its subscription to be answered. */
const TIMEOUT_MS = 30_000;

/**
 * Where a load subscriber stands (its connection opening, subscribing, ready, closed), and the one
 * step it waits for at a time: `wait` returns its promise, `advance` settles it, `fail` (also after
 * TIMEOUT_MS, or when the server closes the connection) closes the subscriber and rejects it.
 */
export class SubscriberPhase<Phase extends string> {
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(
    private current: Phase | 'ready' | 'closed',
    private readonly sink: DeliverySink,
    /** Destroys the subscriber's socket. */
    private readonly destroy: () => void,
  ) {}

  get value(): Phase | 'ready' | 'closed' {
    return this.current;
  }

  /** Moves on without ending the wait (a request sent, its answer still to come). */
  set(phase: Phase | 'ready' | 'closed'): void {
    this.current = phase;
  }

  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error('timed out')), TIMEOUT_MS);
      this.settle = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  /** Leaves a waiting phase: the pending step resolves. */
  advance(phase: Phase | 'ready'): void {
    this.current = phase;
    const settle = this.settle;
    this.settle = undefined;
    settle?.resolve();
  }

  close(): void {
    this.current = 'closed';
    this.destroy();
  }

  fail(error: Error): void {
    const settle = this.settle;
    this.settle = undefined;
    this.close();
    settle?.reject(error);
  }

  /** The socket closed: a live subscriber the server dropped counts as dropped. */
  closed(): void {
    if (this.current === 'ready') this.sink.dropped++;
    if (this.current !== 'closed') this.fail(new Error('closed by the server'));
  }
}
