import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** roomcast's webhooks during a run (`--webhooks=TYPES`): a backend that answers each one 204, and the settings pointing roomcast at it. */
export interface BenchWebhooks {
  /** WEBHOOK_URL, WEBHOOK_SECRET and WEBHOOK_EVENTS for roomcast's processes. */
  readonly env: Record<string, string>;
  /** Added to the storage description in the report. */
  readonly note: string;
  received(): number;
  close(): Promise<void>;
}

/** Starts the receiver (in the harness's process, unpinned, as a backend would be elsewhere) when `--webhooks=TYPES` is given. */
export async function benchWebhooks(args: readonly string[]): Promise<BenchWebhooks | undefined> {
  const types = args.find((arg) => arg.startsWith('--webhooks='))?.slice('--webhooks='.length);
  if (!types) return undefined;
  let received = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: {
      WEBHOOK_URL: `http://127.0.0.1:${port}/hooks`,
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
      WEBHOOK_EVENTS: types,
    },
    note: `, webhooks on for ${types}`,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
