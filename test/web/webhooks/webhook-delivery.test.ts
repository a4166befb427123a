import { afterEach, beforeEach, expect, it } from 'vitest';
import { type TestDatabase, onBothDatabases } from '../../support/databases.js';
import { gate } from '../../support/gate.js';
import { bearer, createRoom } from '../../support/rest.js';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import {
  type ReceivedWebhook,
  type WebhookReceiver,
  startWebhookReceiver,
  webhookSecret,
} from '../../support/webhook-receiver.js';

const ROOMS = ['r0', 'r1', 'r2', 'r3', 'r4'];
const EVENTS_PER_ROOM = 30;

onBothDatabases('webhook delivery', (open) => {
  const secret = webhookSecret();
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  let server: TestServer;
  let service: string;

  beforeEach(async () => {
    database = await open();
    receiver = await startWebhookReceiver(secret);
    service = await signToken('backend', { scope: 'service' });
  });
  afterEach(async () => {
    await server?.stop();
    await receiver.close();
    await database.dispose();
  });

  async function start(env: Record<string, string>): Promise<void> {
    server = await startTestServer(
      { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret, WEBHOOK_RETRY_BASE_MS: '10', ...env },
      database,
    );
  }

  function publish(room: string, type: string, data: unknown): Promise<Response> {
    return fetch(`${server.baseUrl}/v1/rooms/${room}/events`, {
      method: 'POST',
      headers: { ...bearer(service), 'content-type': 'application/json' },
      body: JSON.stringify({ type, data }),
    });
  }

  const seqOf = (webhook: ReceivedWebhook) => webhook.payload.data.event!.seq;
  const ofRoom = (webhooks: readonly ReceivedWebhook[], room: string) =>
    webhooks.filter((webhook) => webhook.payload.data.room === room);

  it('keeps each room in order under concurrent publishing and retries, one attempt per room at a time', async () => {
    const inFlight = new Set<string>();
    let overlapping = 0;
    let requests = 0;
    receiver.answer = async (webhook) => {
      const room = webhook.payload.data.room;
      if (inFlight.has(room)) overlapping += 1;
      inFlight.add(room);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight.delete(room);
      requests += 1;
      return requests % 4 === 0 ? 500 : 204; // every fourth attempt fails and is retried
    };
    await start({ WEBHOOK_EVENTS: 'chat.*' });
    for (const room of ROOMS) await createRoom(server.baseUrl, service, room);
    const published = await Promise.all(
      ROOMS.flatMap((room) => Array.from({ length: EVENTS_PER_ROOM }, (_, n) => publish(room, 'chat.line', { n }))),
    );
    expect(published.every((response) => response.status === 201)).toBe(true);
    await receiver.until(
      () => receiver.accepted.length === ROOMS.length * EVENTS_PER_ROOM,
      'every event delivered',
      30_000,
    );

    expect(overlapping).toBe(0);
    expect(receiver.received.some((webhook) => webhook.status === 500)).toBe(true);
    for (const room of ROOMS) {
      const seqs = Array.from({ length: EVENTS_PER_ROOM }, (_, i) => i + 1);
      expect(ofRoom(receiver.accepted, room).map(seqOf)).toEqual(seqs);
      // Every attempt, failed ones included: a later event is never tried before an earlier one is delivered.
      const attempted = ofRoom(receiver.received, room).map(seqOf);
      expect(attempted).toEqual([...attempted].sort((a, b) => a - b));
    }
  }, 60_000);

  it('lets a slow receiver hold back neither publishing nor the other rooms', async () => {
    const held = gate<number>();
    receiver.answer = (webhook) => (webhook.payload.data.room === 'slow' ? held.wait() : 204);
    await start({ WEBHOOK_EVENTS: 'chat.*', WEBHOOK_TIMEOUT_MS: '60000' });
    await createRoom(server.baseUrl, service, 'slow');
    await createRoom(server.baseUrl, service, 'fast');
    expect((await publish('slow', 'chat.line', 1)).status).toBe(201);
    await held.started;
    // While the receiver sits on the slow room's first webhook: publishing goes on, in both rooms.
    for (let n = 2; n <= 5; n += 1) expect((await publish('slow', 'chat.line', n)).status).toBe(201);
    for (let n = 1; n <= 5; n += 1) expect((await publish('fast', 'chat.line', n)).status).toBe(201);
    await receiver.until(() => ofRoom(receiver.accepted, 'fast').length === 5, "the fast room's webhooks delivered");
    expect(ofRoom(receiver.received, 'slow').map(seqOf)).toEqual([1]);

    held.resolve(204);
    await receiver.until(() => ofRoom(receiver.accepted, 'slow').length === 5, "the slow room's webhooks delivered");
    expect(ofRoom(receiver.accepted, 'slow').map(seqOf)).toEqual([1, 2, 3, 4, 5]);
  });

  it('retries an attempt that got no answer within WEBHOOK_TIMEOUT_MS, with the same webhook-id', async () => {
    const never = gate<number>();
    let attempts = 0;
    receiver.answer = () => (++attempts === 1 ? never.wait() : 204);
    await start({ WEBHOOK_EVENTS: 'chat.*', WEBHOOK_TIMEOUT_MS: '300' });
    await createRoom(server.baseUrl, service, 'quiet');
    await publish('quiet', 'chat.line', 1);
    await receiver.until(() => receiver.accepted.length === 1, 'the webhook delivered on its second attempt');
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.id).toBe(receiver.received[0]!.id);
    never.resolve(204);
  });
});
