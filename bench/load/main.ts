import type { LoadCommand, LoadReply, LoadRequest, TargetAddress } from '../shared/commands.js';
import { LoadGenerator } from './load-generator.js';

/**
 * The load generator process: started by the harness on its own core with the target's
 * address as its argument, it runs one command at a time from the IPC channel.
 */
const target = JSON.parse(process.argv[2] ?? '') as TargetAddress;
const generator = new LoadGenerator(target);

function run(command: LoadCommand): Promise<unknown> | unknown {
  switch (command.kind) {
    case 'connect':
      return generator.connect(command);
    case 'settle':
      return generator.settle();
    case 'publish':
      return generator.publish(command);
    case 'hammer':
      return generator.hammer(command);
    case 'storm':
      return generator.storm(command);
  }
}

process.on('message', (message: LoadRequest) => {
  Promise.resolve()
    .then(() => run(message.command))
    .then(
      (result) => process.send!({ id: message.id, result } satisfies LoadReply),
      (error: unknown) => process.send!({ id: message.id, error: String(error) } satisfies LoadReply),
    );
});
process.on('disconnect', () => {
  generator.close();
  process.exit(0);
});
