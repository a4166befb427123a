/**
 * A promise the test settles by hand, standing in for slow work: the code under test calls
 * `wait()`, `started` settles then, and the work ends when the test calls `resolve`.
 */
export function gate<T>() {
  let resolve: (value: T) => void = () => undefined;
  const result = new Promise<T>((settle) => {
    resolve = settle;
  });
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((settle) => {
    markStarted = settle;
  });
  let hasStarted = false;
  const wait = (): Promise<T> => {
    hasStarted = true;
    markStarted();
    return result;
  };
  return { wait, started, resolve, hasStarted: () => hasStarted };
}

/** Lets every pending promise callback run (nothing here waits on more than promises and immediates). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
