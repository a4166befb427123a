import { afterEach, beforeEach, expect, it } from 'vitest';
import { type TestDatabase, onBothDatabases } from '../../support/databases.js';
import { eventuallyAsync } from '../../support/eventually.js';
import { bearer, createRoom } from '../../support/rest.js';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import {
  type ReceivedWebhook,
  type WebhookReceiver,
  startWebhookReceiver,
  webhookSecret,
} from '../../support/webhook-receiver.js';
import { WsTestClient } from '../../support/ws-test-client.js';

onBothDatabases('webhooks', (open) => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  let server: TestServer;
  let ann: string;
  let bob: string;

  /** Starts the server against the receiver; `env` adds to or overrides the webhook settings. */
  async function start(env: Record<string, string> = {}): Promise<void> {
    server = await startTestServer(
      { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret, WEBHOOK_RETRY_BASE_MS: '20', ...env },
      database,
    );
  }

  const secret = webhookSecret();
  beforeEach(async () => {
    database = await open();
    receiver = await startWebhookReceiver(secret);
    [ann, bob] = await Promise.all([signToken('ann', { name: 'Ann' }), signToken('bob', { name: 'Bob' })]);
  });
  afterEach(async () => {
    await server?.stop();
    await receiver.close();
    await database.dispose();
  });

  /** Resolves once the server's /metrics shows every line of `lines`. */
  const untilMetrics = (lines: readonly string[]) =>
    eventuallyAsync(
      async () => {
        const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
        return lines.every((line) => text.split('\n').includes(line));
      },
      10_000,
      `metrics showing ${lines.join(', ')}`,
    );
  const ofType = (type: string) => receiver.accepted.filter((webhook) => webhook.payload.type === type);
  const untilAccepted = (type: string, count = 1) =>
    receiver.until(() => ofType(type).length >= count, `${count} ${type} webhook(s) accepted`);

  it('sends each message type, signed as Standard Webhooks verifies it', async () => {
    await start({ WEBHOOK_EVENTS: 'room.*,member.*,chat.*' });
    await createRoom(server.baseUrl, ann, 'lobby', { name: 'Lobby', capacity: 10 });
    await fetch(`${server.baseUrl}/v1/rooms/lobby/members/me`, { method: 'PUT', headers: bearer(bob) });
    await fetch(`${server.baseUrl}/v1/rooms/lobby/events`, {
      method: 'POST',
      headers: { ...bearer(ann), 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'chat.message', data: { text: 'hi' } }),
    });
    await fetch(`${server.baseUrl}/v1/rooms/lobby/events`, {
      method: 'POST',
      headers: { ...bearer(ann), 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'game.move', data: 1 }),
    });
    const client = await WsTestClient.connect(server.wsUrl, bob);
    await client.request({ op: 'join', room: 'lobby' });
    await untilAccepted('room.occupied');
    client.socket.close();
    await untilAccepted('room.vacated');
    await fetch(`${server.baseUrl}/v1/rooms/lobby/members/me`, { method: 'DELETE', headers: bearer(bob) });
    await untilAccepted('member.left');

    expect(receiver.received.map((webhook) => webhook.payload.type)).toEqual([
      'room.created',
      'member.joined',
      'chat.message',
      'room.occupied',
      'room.vacated',
      'member.left',
    ]);
    for (const webhook of receiver.received) {
      expect(webhook.signatureError).toBeUndefined();
      expect(webhook.id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(webhook.headers['content-type']).toBe('application/json');
    }
    expect(new Set(receiver.received.map((webhook) => webhook.id)).size).toBe(6);
    const [created, joined, chat, occupied] = receiver.received as [ReceivedWebhook, ...ReceivedWebhook[]];
    expect(created.payload.data).toEqual({ room: 'lobby', name: 'Lobby', capacity: 10 });
    expect(joined!.payload.data).toEqual({
      room: 'lobby',
      event: {
        room: 'lobby',
        seq: 1,
        type: 'member.joined',
        data: { userId: 'bob', name: 'Bob' },
        sender: 'bob',
        at: joined!.payload.timestamp,
      },
    });
    expect(chat!.payload.data.event).toMatchObject({
      seq: 2,
      type: 'chat.message',
      data: { text: 'hi' },
      sender: 'ann',
    });
    expect(occupied!.payload.data).toEqual({ room: 'lobby' });
    for (const webhook of receiver.received) expect(Date.parse(webhook.payload.timestamp)).not.toBeNaN();
  });

  it('records the rooms a shutdown empties as vacated, and the next start sends them', async () => {
    await start({ WEBHOOK_EVENTS: 'room.occupied,room.vacated' });
    await createRoom(server.baseUrl, ann, 'lobby');
    const client = await WsTestClient.connect(server.wsUrl, ann);
    await client.request({ op: 'join', room: 'lobby' });
    await untilAccepted('room.occupied');
    receiver.answer = () => 503; // nothing more gets through before the shutdown
    await server.stop();
    receiver.answer = () => 204;
    await start({ WEBHOOK_EVENTS: 'room.occupied,room.vacated' });
    await untilAccepted('room.vacated');
    expect(receiver.accepted.map((webhook) => webhook.payload.type)).toEqual(['room.occupied', 'room.vacated']);
  });

  it('retries after 5xx with the same webhook-id, then delivers', async () => {
    let failures = 3;
    receiver.answer = () => (failures-- > 0 ? 500 : 200);
    await start({ WEBHOOK_EVENTS: 'room.created' });
    await createRoom(server.baseUrl, ann, 'retried');
    await untilAccepted('room.created');
    expect(receiver.received.map((webhook) => webhook.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(receiver.received.map((webhook) => webhook.id)).size).toBe(1);
    expect(receiver.received.every((webhook) => webhook.signatureError === undefined)).toBe(true);
    await server.log.until(() => server.log.count('webhook attempt failed; retrying') >= 3, 'three retries logged');
  });

  it('drops a message answered 400 at once, logs it, and carries on with the next', async () => {
    receiver.answer = (webhook) => (webhook.payload.data.room === 'refused' ? 400 : 204);
    await start({ WEBHOOK_EVENTS: 'room.created' });
    await createRoom(server.baseUrl, ann, 'refused');
    await createRoom(server.baseUrl, ann, 'welcome');
    await untilAccepted('room.created');
    await server.log.until(() => server.log.count('webhook dropped') === 1, 'the drop logged');
    expect(receiver.received.filter((webhook) => webhook.payload.data.room === 'refused')).toHaveLength(1);
    const dropped = server.log.lines.find((line) => line.msg === 'webhook dropped')!;
    expect(dropped).toMatchObject({ room: 'refused', type: 'room.created', webhookId: receiver.received[0]!.id });
    const logged = JSON.stringify(server.log.lines);
    expect(logged).not.toContain(secret.slice('whsec_'.length));
    for (const webhook of receiver.received) {
      expect(logged).not.toContain(webhook.headers['webhook-signature']!.slice('v1,'.length));
    }
    // The receiver has answered; the server counts the delivery once it has heard the answer.
    await untilMetrics(['roomcast_webhooks_dropped_total{reason="rejected"} 1', 'roomcast_webhooks_delivered_total 1']);
  });

  it('drops a message after WEBHOOK_MAX_ATTEMPTS failed attempts, and counts it', async () => {
    receiver.answer = () => 503;
    await start({ WEBHOOK_EVENTS: 'room.created', WEBHOOK_MAX_ATTEMPTS: '3' });
    await createRoom(server.baseUrl, ann, 'unlucky');
    await server.log.until(() => server.log.count('webhook dropped') === 1, 'the drop logged');
    expect(receiver.received).toHaveLength(3);
    await untilMetrics([
      'roomcast_webhooks_dropped_total{reason="attempts"} 1',
      'roomcast_webhooks_retried_total 2',
      'roomcast_webhook_outbox_depth 0',
    ]);
  });
});
