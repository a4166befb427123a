import type { LoadCommand, LoadReply, LoadResults, TargetAddress } from '../shared/commands.js';
import { compiledPath } from '../compile.js';
import { type PinnedProcess, spawnPinned } from '../targets/pinned-process.js';
import { LOAD_CORE } from '../targets/target.js';

/** The harness's handle on a load generator process running on its own core. */
export class LoadProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly process: PinnedProcess) {
    process.child.on('message', (reply: LoadReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter?.reject(new Error(`load generator: ${reply.error}`));
      else waiter?.resolve(reply.result);
    });
    process.child.once('exit', (code) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`load generator exited with ${code}: ${process.stderr()}`));
      }
      this.pending.clear();
    });
  }

  /** `openFiles`: raise its open-file limit to this, where the machine allows it (see `spawnPinned`). */
  static start(target: TargetAddress, openFiles?: number): LoadProcess {
    const command = [process.execPath, compiledPath('loadGenerator'), JSON.stringify(target)];
    return new LoadProcess(spawnPinned({ core: LOAD_CORE, command, isIpc: true, openFiles }));
  }

  get pid(): number {
    return this.process.pid;
  }

  run<C extends LoadCommand>(command: C): Promise<LoadResults[C['kind']]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.process.child.send({ id, command });
    });
  }

  /** Closing the channel ends the generator (and every socket it holds). */
  async stop(): Promise<void> {
    if (this.process.child.connected) this.process.child.disconnect();
    await this.process.stop(5_000);
  }
}
