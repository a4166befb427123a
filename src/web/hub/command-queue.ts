/**
 * Runs commands one at a time, each to completion: a command issued while another runs (a client
 * closing during a fan-out) is queued behind it and run in the same drain, never nested.
 */
export class CommandQueue {
  private readonly commands: (() => void)[] = [];
  private isDraining = false;

  /** `reportError` hears of a command that threw; the queue carries on with the next one. */
  constructor(private readonly reportError: (error: unknown) => void) {}

  run(command: () => void): void {
    this.commands.push(command);
    if (this.isDraining) return;
    this.isDraining = true;
    for (let next = this.commands.shift(); next; next = this.commands.shift()) {
      try {
        next();
      } catch (error) {
        this.reportError(error);
      }
    }
    this.isDraining = false;
  }
}
