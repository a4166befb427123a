import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach } from 'vitest';
import type { TestDatabase } from './databases.js';
import { onEvent, when } from './eventually.js';
import { type TestServer, startTestServer } from './test-server.js';

/** A webhook body as the contract shapes it. */
export interface WebhookPayload {
  readonly type: string;
  readonly timestamp: string;
  readonly data: {
    readonly room: string;
    readonly event?: { room: string; seq: number; type: string; data: unknown; sender: string; at: string };
    readonly [detail: string]: unknown;
  };
}

/** One request the receiver got, and whether its signature verified with the Standard Webhooks library. */
export interface ReceivedWebhook {
  readonly id: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly payload: WebhookPayload;
  /** Undefined when verified; the library's complaint otherwise. */
  readonly signatureError: string | undefined;
  /** The status it was answered with (set once answered). */
  status?: number;
}

/** A real HTTP server standing in for a backend that receives roomcast's webhooks. */
export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  /** Every request, in the order they arrived. */
  readonly received: ReceivedWebhook[];
  /** The requests answered 2xx, in the order they were answered. */
  readonly accepted: ReceivedWebhook[];
  /** How each request is answered: a status, or a promise of one (a slow backend). Default 204. */
  answer: (webhook: ReceivedWebhook) => number | Promise<number>;
  /** Resolves once `condition` holds, checked again after each request arrives and each answer. */
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A fresh `whsec_` secret (32 random bytes). */
export function webhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Starts a receiver on `port` (0: any free one) that verifies each request with `secret`. */
export async function startWebhookReceiver(secret: string, port = 0): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const changes = new EventEmitter();
  const receiver: Omit<WebhookReceiver, 'url' | 'port' | 'close'> = {
    received: [],
    accepted: [],
    answer: () => 204,
    until: (condition, what, timeoutMs = 15_000) => when(condition, onEvent(changes, 'change'), timeoutMs, what),
  };
  const server: Server = createServer((request, response) => {
    void readBody(request).then(async (body) => {
      const headers = request.headers as Record<string, string>;
      let signatureError: string | undefined;
      try {
        verifier.verify(body, headers);
      } catch (error) {
        signatureError = error instanceof Error ? error.message : String(error);
      }
      const webhook: ReceivedWebhook = {
        id: headers['webhook-id'] ?? '',
        headers,
        body,
        payload: JSON.parse(body) as WebhookPayload,
        signatureError,
      };
      receiver.received.push(webhook);
      changes.emit('change');
      const status = await receiver.answer(webhook);
      webhook.status = status;
      if (status >= 200 && status < 300) receiver.accepted.push(webhook);
      response.writeHead(status).end();
      changes.emit('change');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${bound}/hooks`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Each test's database, receiver and server, as `useWebhookServer` sets them up. */
export interface WebhookFixture {
  readonly secret: string;
  readonly database: TestDatabase;
  readonly receiver: WebhookReceiver;
  /** The server `start` started (throws before that). */
  readonly server: TestServer;
  /** Starts the server against the receiver; `env` adds to or overrides the webhook settings. */
  start(env?: Record<string, string>): Promise<void>;
}

/**
 * Before each test, opens a database with `open` and starts a receiver (one secret for the suite);
 * after it, stops the server, the receiver and the database. The test starts the server itself,
 * with WEBHOOK_URL, WEBHOOK_SECRET and WEBHOOK_RETRY_BASE_MS = `retryBaseMs` set.
 */
export function useWebhookServer(open: () => Promise<TestDatabase>, retryBaseMs: number): WebhookFixture {
  const secret = webhookSecret();
  let database: TestDatabase | undefined;
  let receiver: WebhookReceiver | undefined;
  let server: TestServer | undefined;
  beforeEach(async () => {
    database = await open();
    receiver = await startWebhookReceiver(secret);
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await receiver?.close();
    await database?.dispose();
  });
  const set = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what} yet`);
    return value;
  };
  return {
    secret,
    get database() {
      return set(database, 'database');
    },
    get receiver() {
      return set(receiver, 'receiver');
    },
    get server() {
      return set(server, 'server: call start()');
    },
    async start(env = {}) {
      server = await startTestServer(
        {
          WEBHOOK_URL: set(receiver, 'receiver').url,
          WEBHOOK_SECRET: secret,
          WEBHOOK_RETRY_BASE_MS: String(retryBaseMs),
          ...env,
        },
        set(database, 'database'),
      );
    },
  };
}

/** A port nothing listens on right now (to start a receiver on later). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
