import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResumingSubscriber, publishOverRest, roomLastSeq, seqRange } from '../support/delivery-subscriber.js';
import { bearer, createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken, signTokens } from '../support/tokens.js';

const CLIENTS = 10;
const RECONNECTS = 10;
const EVENTS = 1_500;
const CALLERS = 4;
/** Each client leaves once per stretch of this many events, at a point of its own within it. */
const STRETCH = Math.floor(EVENTS / (RECONNECTS + 1));

let server: TestServer;
let service: string;
let users: string[];

beforeAll(async () => {
  server = await startTestServer();
  service = await signToken('backend', { scope: 'service' });
  users = await signTokens('racer-', CLIENTS);
});
afterAll(() => server?.stop());

/** A fresh room of which every racer is a member: one `member.joined` each, seqs 1..CLIENTS. */
async function racersRoom(): Promise<string> {
  const room = 'race';
  await createRoom(server.baseUrl, service, room);
  for (const token of users) {
    await request(server.baseUrl).put(`/v1/rooms/${room}/members/me`).set(bearer(token)).expect(201);
  }
  return room;
}

/**
 * One client's life while publishing goes on: leave at a seq of its own in each stretch (a close
 * handshake and an abrupt `terminate()` in turn, fired from inside the message handler, so often
 * mid-replay), stay away until a few more events were stored, and rejoin with since and epoch.
 */
async function race(client: ResumingSubscriber, c: number, observer: ResumingSubscriber, total: number) {
  for (let k = 0; k < RECONNECTS; k += 1) {
    const leaveAt = CLIENTS + (k + 1) * STRETCH - ((c * 37 + k * 53) % (STRETCH / 2));
    await client.disconnectAt(leaveAt, (c + k) % 2 === 1);
    await observer.reached(Math.min(client.lastSeq + ((c * 7 + k * 13) % 40), total));
    const reply = await client.join();
    expect(reply, `${client.name} rejoin #${k + 1}`).toMatchObject({ op: 'ok', recovered: true });
  }
}

describe('clients reconnecting while events are published', () => {
  it(`each of ${CLIENTS} clients ends with exactly 1..N over all its connections`, async () => {
    const room = await racersRoom();
    const total = CLIENTS + EVENTS;
    // Never disconnected: it paces the others and checks the stream as one long connection.
    const observer = new ResumingSubscriber(server.wsUrl, service, room, 'observer');
    const clients = users.map((token, c) => new ResumingSubscriber(server.wsUrl, token, room, `racer-${c}`));
    try {
      for (const subscriber of [observer, ...clients]) {
        expect(await subscriber.join()).toMatchObject({ op: 'ok', room, seq: CLIENTS, recovered: true });
      }
      const started = Date.now();
      const publishing = publishOverRest(server.baseUrl, service, room, EVENTS, CALLERS);
      await Promise.all([publishing, ...clients.map((client, c) => race(client, c, observer, total))]);
      const lastSeq = await roomLastSeq(server.baseUrl, service, room);
      expect(lastSeq).toBe(total);
      await Promise.all([observer, ...clients].map((subscriber) => subscriber.reached(lastSeq)));
      const replayed = clients.reduce((sum, client) => sum + client.replayed, 0);
      console.log(
        `reconnect race (${server.database.kind}): ${EVENTS} events, ${CLIENTS} clients × ${RECONNECTS} ` +
          `reconnects in ${Date.now() - started} ms; the rejoins replayed ${replayed} events`,
      );

      for (const subscriber of [observer, ...clients]) {
        expect(subscriber.problems, subscriber.name).toEqual([]);
        expect(subscriber.seqs, subscriber.name).toEqual(seqRange(1, lastSeq));
      }
      for (const client of clients) expect(client.connections).toBe(RECONNECTS + 1);
      // The rejoins had missed events to replay, while publishing went on: the race was run.
      expect(replayed).toBeGreaterThan(CLIENTS * RECONNECTS);
    } finally {
      await Promise.all([observer, ...clients].map((subscriber) => subscriber.closeAll()));
    }
    await server.untilConnectionsClosed();
    expect(server.app.connections.counts()).toEqual({ clients: 0, subscriptions: 0, rooms: 0 });
  }, 120_000);
});
