/** Something whose writes can be held back and let go together: a TCP socket, an HTTP response. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Holds a writable's writes until the current turn of the event loop ends, so that the writes of
 * a burst (a group-committed batch of events, a replay page) leave in one, with no added delay.
 * Measured in bench/README.md ("What the fan-out costs").
 */
export class TurnCork {
  private isCorked = false;
  private readonly release = (): void => {
    this.isCorked = false;
    this.target.uncork();
  };

  constructor(private readonly target: Corkable) {}

  /** Corks the target until the turn ends, unless it is already. */
  holdForTurn(): void {
    if (this.isCorked) return;
    this.isCorked = true;
    this.target.cork();
    process.nextTick(this.release);
  }
}
