import { beforeEach, expect, it } from 'vitest';
import { onBothDatabases } from '../../support/databases.js';
import { eventuallyAsync } from '../../support/eventually.js';
import { bearer, createRoom, joinRoom, publishEvent } from '../../support/rest.js';
import { signToken } from '../../support/tokens.js';
import { type ReceivedWebhook, useWebhookServer } from '../../support/webhook-receiver.js';
import { WsTestClient } from '../../support/ws-test-client.js';

onBothDatabases('webhooks', (open) => {
  const fixture = useWebhookServer(open, 20);
  const { start, secret } = fixture;
  let ann: string;
  let bob: string;

  beforeEach(async () => {
    [ann, bob] = await Promise.all([signToken('ann', { name: 'Ann' }), signToken('bob', { name: 'Bob' })]);
  });

  /** Resolves once the server's /metrics shows every line of `lines`. */
  const untilMetrics = (lines: readonly string[]) =>
    eventuallyAsync(
      async () => {
        const text = await (await fetch(`${fixture.server.baseUrl}/metrics`)).text();
        return lines.every((line) => text.split('\n').includes(line));
      },
      10_000,
      `metrics showing ${lines.join(', ')}`,
    );
  const ofType = (type: string) => fixture.receiver.accepted.filter((webhook) => webhook.payload.type === type);
  const untilAccepted = (type: string, count = 1) =>
    fixture.receiver.until(() => ofType(type).length >= count, `${count} ${type} webhook(s) accepted`);

  it('sends each message type, signed as Standard Webhooks verifies it', async () => {
    await start({ WEBHOOK_EVENTS: 'room.*,member.*,chat.*' });
    await createRoom(fixture.server.baseUrl, ann, 'lobby', { name: 'Lobby', capacity: 10 });
    await joinRoom(fixture.server.baseUrl, bob, 'lobby');
    await publishEvent(fixture.server.baseUrl, ann, 'lobby', { type: 'chat.message', data: { text: 'hi' } });
    await publishEvent(fixture.server.baseUrl, ann, 'lobby', { type: 'game.move', data: 1 });
    const client = await WsTestClient.connect(fixture.server.wsUrl, bob);
    await client.request({ op: 'join', room: 'lobby' });
    await untilAccepted('room.occupied');
    client.socket.close();
    await untilAccepted('room.vacated');
    await fetch(`${fixture.server.baseUrl}/v1/rooms/lobby/members/me`, { method: 'DELETE', headers: bearer(bob) });
    await untilAccepted('member.left');

    expect(fixture.receiver.received.map((webhook) => webhook.payload.type)).toEqual([
      'room.created',
      'member.joined',
      'chat.message',
      'room.occupied',
      'room.vacated',
      'member.left',
    ]);
    for (const webhook of fixture.receiver.received) {
      expect(webhook.signatureError).toBeUndefined();
      expect(webhook.id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(webhook.headers['content-type']).toBe('application/json');
    }
    expect(new Set(fixture.receiver.received.map((webhook) => webhook.id)).size).toBe(6);
    const [created, joined, chat, occupied] = fixture.receiver.received as [ReceivedWebhook, ...ReceivedWebhook[]];
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
    for (const webhook of fixture.receiver.received) expect(Date.parse(webhook.payload.timestamp)).not.toBeNaN();
  });

  it('records the rooms a shutdown empties as vacated, and the next start sends them', async () => {
    await start({ WEBHOOK_EVENTS: 'room.occupied,room.vacated' });
    await createRoom(fixture.server.baseUrl, ann, 'lobby');
    const client = await WsTestClient.connect(fixture.server.wsUrl, ann);
    await client.request({ op: 'join', room: 'lobby' });
    await untilAccepted('room.occupied');
    fixture.receiver.answer = () => 503; // nothing more gets through before the shutdown
    await fixture.server.stop();
    fixture.receiver.answer = () => 204;
    await start({ WEBHOOK_EVENTS: 'room.occupied,room.vacated' });
    await untilAccepted('room.vacated');
    expect(fixture.receiver.accepted.map((webhook) => webhook.payload.type)).toEqual(['room.occupied', 'room.vacated']);
  });

  it('retries after 5xx with the same webhook-id, then delivers', async () => {
    let failures = 3;
    fixture.receiver.answer = () => (failures-- > 0 ? 500 : 200);
    await start({ WEBHOOK_EVENTS: 'room.created' });
    await createRoom(fixture.server.baseUrl, ann, 'retried');
    await untilAccepted('room.created');
    expect(fixture.receiver.received.map((webhook) => webhook.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(fixture.receiver.received.map((webhook) => webhook.id)).size).toBe(1);
    expect(fixture.receiver.received.every((webhook) => webhook.signatureError === undefined)).toBe(true);
    await fixture.server.log.until(
      () => fixture.server.log.count('webhook attempt failed; retrying') >= 3,
      'three retries logged',
    );
  });

  it('drops a message answered 400 at once, logs it, and carries on with the next', async () => {
    fixture.receiver.answer = (webhook) => (webhook.payload.data.room === 'refused' ? 400 : 204);
    await start({ WEBHOOK_EVENTS: 'room.created' });
    await createRoom(fixture.server.baseUrl, ann, 'refused');
    await createRoom(fixture.server.baseUrl, ann, 'welcome');
    await untilAccepted('room.created');
    await fixture.server.log.until(() => fixture.server.log.count('webhook dropped') === 1, 'the drop logged');
    expect(fixture.receiver.received.filter((webhook) => webhook.payload.data.room === 'refused')).toHaveLength(1);
    const dropped = fixture.server.log.lines.find((line) => line.msg === 'webhook dropped')!;
    expect(dropped).toMatchObject({
      room: 'refused',
      type: 'room.created',
      webhookId: fixture.receiver.received[0]!.id,
    });
    const logged = JSON.stringify(fixture.server.log.lines);
    expect(logged).not.toContain(secret.slice('whsec_'.length));
    for (const webhook of fixture.receiver.received) {
      expect(logged).not.toContain(webhook.headers['webhook-signature']!.slice('v1,'.length));
    }
    // The receiver has answered; the server counts the delivery once it has heard the answer.
    await untilMetrics(['roomcast_webhooks_dropped_total{reason="rejected"} 1', 'roomcast_webhooks_delivered_total 1']);
  });

  it('drops a message after WEBHOOK_MAX_ATTEMPTS failed attempts, and counts it', async () => {
    fixture.receiver.answer = () => 503;
    await start({ WEBHOOK_EVENTS: 'room.created', WEBHOOK_MAX_ATTEMPTS: '3' });
    await createRoom(fixture.server.baseUrl, ann, 'unlucky');
    await fixture.server.log.until(() => fixture.server.log.count('webhook dropped') === 1, 'the drop logged');
    expect(fixture.receiver.received).toHaveLength(3);
    await untilMetrics([
      'roomcast_webhooks_dropped_total{reason="attempts"} 1',
      'roomcast_webhooks_retried_total 2',
      'roomcast_webhook_outbox_depth 0',
    ]);
  });
});
