/** Runs `task` every `intervalMs`, never two at once; `stop` waits for a run under way. */
export class PeriodicTask {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;

  constructor(intervalMs: number, task: () => Promise<void>) {
    this.timer = setInterval(() => {
      this.running ??= task().finally(() => {
        this.running = undefined;
      });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
