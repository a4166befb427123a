import { beforeEach, expect, it } from 'vitest';
import { onBothDatabases } from '../../support/databases.js';
import { gate } from '../../support/gate.js';
import { createRoom, publishEvent } from '../../support/rest.js';
import { signToken } from '../../support/tokens.js';
import { type ReceivedWebhook, useWebhookServer } from '../../support/webhook-receiver.js';

const ROOMS = ['r0', 'r1', 'r2', 'r3', 'r4'];
const EVENTS_PER_ROOM = 30;

onBothDatabases('webhook delivery', (open) => {
  const fixture = useWebhookServer(open, 10);
  const { start } = fixture;
  let service: string;

  beforeEach(async () => {
    service = await signToken('backend', { scope: 'service' });
  });

  const publish = (room: string, type: string, data: unknown) =>
    publishEvent(fixture.server.baseUrl, service, room, { type, data });

  const seqOf = (webhook: ReceivedWebhook) => webhook.payload.data.event!.seq;
  const ofRoom = (webhooks: readonly ReceivedWebhook[], room: string) =>
    webhooks.filter((webhook) => webhook.payload.data.room === room);

  it('keeps each room in order under concurrent publishing and retries, one attempt per room at a time', async () => {
    const inFlight = new Set<string>();
    let overlapping = 0;
    let requests = 0;
    fixture.receiver.answer = async (webhook) => {
      const room = webhook.payload.data.room;
      if (inFlight.has(room)) overlapping += 1;
      inFlight.add(room);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight.delete(room);
      requests += 1;
      return requests % 4 === 0 ? 500 : 204; // every fourth attempt fails and is retried
    };
    await start({ WEBHOOK_EVENTS: 'chat.*' });
    for (const room of ROOMS) await createRoom(fixture.server.baseUrl, service, room);
    const published = await Promise.all(
      ROOMS.flatMap((room) => Array.from({ length: EVENTS_PER_ROOM }, (_, n) => publish(room, 'chat.line', { n }))),
    );
    expect(published.every((response) => response.status === 201)).toBe(true);
    await fixture.receiver.until(
      () => fixture.receiver.accepted.length === ROOMS.length * EVENTS_PER_ROOM,
      'every event delivered',
      30_000,
    );

    expect(overlapping).toBe(0);
    expect(fixture.receiver.received.some((webhook) => webhook.status === 500)).toBe(true);
    for (const room of ROOMS) {
      const seqs = Array.from({ length: EVENTS_PER_ROOM }, (_, i) => i + 1);
      expect(ofRoom(fixture.receiver.accepted, room).map(seqOf)).toEqual(seqs);
      // Every attempt, failed ones included: a later event is never tried before an earlier one is delivered.
      const attempted = ofRoom(fixture.receiver.received, room).map(seqOf);
      expect(attempted).toEqual([...attempted].sort((a, b) => a - b));
    }
  }, 60_000);

  it('lets a slow receiver hold back neither publishing nor the other rooms', async () => {
    const held = gate<number>();
    fixture.receiver.answer = (webhook) => (webhook.payload.data.room === 'slow' ? held.wait() : 204);
    await start({ WEBHOOK_EVENTS: 'chat.*', WEBHOOK_TIMEOUT_MS: '60000' });
    await createRoom(fixture.server.baseUrl, service, 'slow');
    await createRoom(fixture.server.baseUrl, service, 'fast');
    expect((await publish('slow', 'chat.line', 1)).status).toBe(201);
    await held.started;
    // While the receiver sits on the slow room's first webhook: publishing goes on, in both rooms.
    for (let n = 2; n <= 5; n += 1) expect((await publish('slow', 'chat.line', n)).status).toBe(201);
    for (let n = 1; n <= 5; n += 1) expect((await publish('fast', 'chat.line', n)).status).toBe(201);
    await fixture.receiver.until(
      () => ofRoom(fixture.receiver.accepted, 'fast').length === 5,
      "the fast room's webhooks delivered",
    );
    expect(ofRoom(fixture.receiver.received, 'slow').map(seqOf)).toEqual([1]);

    held.resolve(204);
    await fixture.receiver.until(
      () => ofRoom(fixture.receiver.accepted, 'slow').length === 5,
      "the slow room's webhooks delivered",
    );
    expect(ofRoom(fixture.receiver.accepted, 'slow').map(seqOf)).toEqual([1, 2, 3, 4, 5]);
  });

  it('retries an attempt that got no answer within WEBHOOK_TIMEOUT_MS, with the same webhook-id', async () => {
    const never = gate<number>();
    let attempts = 0;
    fixture.receiver.answer = () => (++attempts === 1 ? never.wait() : 204);
    await start({ WEBHOOK_EVENTS: 'chat.*', WEBHOOK_TIMEOUT_MS: '300' });
    await createRoom(fixture.server.baseUrl, service, 'quiet');
    await publish('quiet', 'chat.line', 1);
    await fixture.receiver.until(
      () => fixture.receiver.accepted.length === 1,
      'the webhook delivered on its second attempt',
    );
    expect(fixture.receiver.received).toHaveLength(2);
    expect(fixture.receiver.received[1]!.id).toBe(fixture.receiver.received[0]!.id);
    never.resolve(204);
  });
});
