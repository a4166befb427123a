type Listener<T> = (payload: T) => void;

/** A small typed event emitter; a listener that throws cannot break the emitter's owner. */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => this.off(name, listener);
  }

  off<K extends keyof Events>(name: K, listener: Listener<Events[K]>): void {
    this.listeners.get(name)?.delete(listener);
  }

  protected emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    for (const listener of [...(this.listeners.get(name) ?? [])] as Listener<Events[K]>[]) {
      try {
        listener(payload);
      } catch (error) {
        // Reported the way an uncaught error in an event handler is, without unwinding our state.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
