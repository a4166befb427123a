/** How long a subscriber waits for its connection to open or its subscription to be answered. */
const TIMEOUT_MS = 30_000;

/**
 * The step a load subscriber is waiting for (its connection to open, its subscribe to be
 * answered), at most one at a time: `wait` returns its promise, `done` or `fail` settles it, and
 * after TIMEOUT_MS `onTimeout` runs (which fails it).
 */
export class PendingStep {
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;

  wait(onTimeout: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(onTimeout, TIMEOUT_MS);
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

  done(): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.resolve();
  }

  fail(error: Error): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.reject(error);
  }
}
