/** What the client asks of its surroundings to decide when reconnecting is worth trying. */
export interface Environment {
  /** False while the device is known to be offline: reconnect attempts wait. */
  isOnline(): boolean;
  /** Calls `listener` when trying at once is worthwhile (back online, page visible again); returns a remover. */
  onWake(listener: () => void): () => void;
}

interface BrowserGlobals {
  navigator?: { onLine?: boolean };
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
  document?: {
    visibilityState?: string;
    addEventListener(type: string, listener: () => void): void;
    removeEventListener(type: string, listener: () => void): void;
  };
}

/** The browser's `navigator.onLine`, `online` and `visibilitychange`; in Node: always online, never woken. */
export function defaultEnvironment(): Environment {
  const g = globalThis as BrowserGlobals;
  return {
    isOnline: () => g.navigator?.onLine !== false,
    onWake(listener) {
      const onVisible = () => {
        if (g.document?.visibilityState === 'visible') listener();
      };
      g.addEventListener?.('online', listener);
      g.document?.addEventListener('visibilitychange', onVisible);
      return () => {
        g.removeEventListener?.('online', listener);
        g.document?.removeEventListener('visibilitychange', onVisible);
      };
    },
  };
}
