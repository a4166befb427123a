import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer } from '../../support/child-server.js';
import { type TestDatabase, postgresTestDatabase } from '../../support/databases.js';
import { createRoom, joinRoom } from '../../support/rest.js';
import { serviceUrl, skipReason } from '../../support/services.js';
import { signToken } from '../../support/tokens.js';
import { eventuallyAsync } from '../../support/eventually.js';
import { WsTestClient } from '../../support/ws-test-client.js';
import {
  type WebhookReceiver,
  startWebhookReceiver,
  unusedPort,
  webhookSecret,
} from '../../support/webhook-receiver.js';

const postgresUrl = serviceUrl('DATABASE_URL');

/** Where the killed server and its successor keep their data: a DATA_DIR, or a PostgreSQL database. */
interface Storage {
  readonly env: Record<string, string>;
  dispose(): Promise<void>;
}

async function embeddedStorage(): Promise<Storage> {
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-webhooks-'));
  return {
    env: { DATABASE_URL: '', DATA_DIR: join(dir, 'db') },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

async function postgresStorage(): Promise<Storage> {
  const database: TestDatabase = await postgresTestDatabase(postgresUrl!, false);
  return { env: { DATABASE_URL: database.url! }, dispose: () => database.dispose() };
}

const cases: [string, () => Promise<Storage>, string | undefined][] = [
  ['the embedded database', embeddedStorage, undefined],
  ['PostgreSQL', postgresStorage, postgresUrl ? undefined : skipReason('DATABASE_URL')],
];

describe.each(cases)('webhooks across kill -9 on %s', (_name, makeStorage, skip) => {
  let receiver: WebhookReceiver | undefined;
  let storage: Storage | undefined;
  afterEach(async () => {
    await receiver?.close();
    await storage?.dispose();
  });

  it.skipIf(skip !== undefined)(
    `arrive once both the receiver and the server are back ${skip ?? ''}`,
    async () => {
      storage = await makeStorage();
      const secret = webhookSecret();
      const port = await unusedPort();
      const env = {
        ...storage.env,
        WEBHOOK_URL: `http://127.0.0.1:${port}/hooks`,
        WEBHOOK_SECRET: secret,
        WEBHOOK_RETRY_BASE_MS: '100',
        WEBHOOK_MAX_ATTEMPTS: '100',
      };
      const ann = await signToken('ann');
      const bob = await signToken('bob');
      const first = await spawnServer(env);
      await createRoom(first.baseUrl, ann, 'lobby');
      await joinRoom(first.baseUrl, bob, 'lobby');
      const client = await WsTestClient.connect(first.wsUrl, bob);
      await client.request({ op: 'join', room: 'lobby' });
      // The receiver is down: the first attempt fails, and the server dies while the messages wait
      // (room.occupied among them: the room is occupied when the server dies).
      await first.waitForLog((line) => line.msg === 'webhook attempt failed; retrying', 'a failed attempt');
      await eventuallyAsync(
        async () =>
          (await (await fetch(`${first.baseUrl}/metrics`)).text()).includes('roomcast_webhook_outbox_depth 3'),
        10_000,
        'three webhooks waiting',
      );
      first.child.kill('SIGKILL');
      await first.exited;

      receiver = await startWebhookReceiver(secret, port);
      const second = await spawnServer(env);
      try {
        // The new server finds the room occupied by nobody: the killed one's subscriber is gone.
        await receiver.until(() => receiver!.accepted.length >= 4, 'the webhooks delivered after the restart', 20_000);
        expect(receiver.accepted.map((webhook) => webhook.payload.type)).toEqual([
          'room.created',
          'member.joined',
          'room.occupied',
          'room.vacated',
        ]);
        expect(receiver.accepted.every((webhook) => webhook.signatureError === undefined)).toBe(true);
      } finally {
        await second.stop();
      }
    },
    90_000,
  );
});
