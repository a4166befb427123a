import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResumingSubscriber, publishOverRest, roomLastSeq, seqRange } from '../support/delivery-subscriber.js';
import { createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

const ROOMS = ['storm-a', 'storm-b', 'storm-c'];
const PER_ROOM = 20;
const EVENTS_PER_ROOM = 300;
/** Every client drops once the rooms' streams have reached this many events published. */
const DROP_AT = 100;

let server: TestServer;
let service: string;

beforeAll(async () => {
  server = await startTestServer();
  service = await signToken('backend', { scope: 'service' });
});
afterAll(() => server?.stop());

describe('a reconnect storm', () => {
  it('every client drops at once, rejoins with since while publishing goes on, and ends with exactly 1..N and whole presence', async () => {
    const observers: ResumingSubscriber[] = [];
    const clients: ResumingSubscriber[] = [];
    for (const room of ROOMS) {
      await createRoom(server.baseUrl, service, room);
      // Never disconnected: it tells when the storm starts and checks the stream as one connection.
      const observer = new ResumingSubscriber(server.wsUrl, service, room, `observer-${room}`);
      await observer.join();
      observers.push(observer);
      for (let c = 0; c < PER_ROOM; c += 1) {
        const name = `${room}-user-${c}`;
        const client = new ResumingSubscriber(server.wsUrl, await signToken(name), room, name);
        await client.join();
        clients.push(client);
      }
    }
    const joinsDone = await Promise.all(ROOMS.map((room) => roomLastSeq(server.baseUrl, service, room)));

    const publishing = Promise.all(
      ROOMS.map((room) => publishOverRest(server.baseUrl, service, room, EVENTS_PER_ROOM, 2)),
    );
    await Promise.all(observers.map((observer, r) => observer.reached(joinsDone[r]! + DROP_AT)));
    const presenceBefore = clients.map((client) => client.presenceFrames.length);
    for (const client of clients) client.disconnect(true);
    const rejoins = await Promise.all(clients.map((client) => client.join()));
    await publishing;
    // Presence is whole again on every client: the whole room, from a snapshot and a few coalesced diffs.
    await Promise.all(clients.map((client) => client.seesPresent(PER_ROOM)));
    const presenceFrames = clients.map((client, i) => client.presenceFrames.length - presenceBefore[i]!);
    // One frame per change would be 2 × PER_ROOM here.
    expect(Math.max(...presenceFrames)).toBeLessThan(PER_ROOM);

    for (const [r, room] of ROOMS.entries()) {
      const lastSeq = await roomLastSeq(server.baseUrl, service, room);
      const followers = [observers[r]!, ...clients.filter((client) => client.room === room)];
      await Promise.all(followers.map((follower) => follower.reached(lastSeq)));
      for (const follower of followers) {
        expect(follower.problems, follower.name).toEqual([]);
        expect(follower.seqs, follower.name).toEqual(seqRange(1, lastSeq));
      }
    }
    expect(rejoins.every((reply) => reply.op === 'ok' && reply.recovered === true)).toBe(true);
    // The storm happened mid-stream: the rejoins had events to catch up on.
    expect(clients.reduce((sum, client) => sum + client.replayed, 0)).toBeGreaterThan(0);
    for (const client of clients) expect(client.connections).toBe(2);
    await Promise.all([...observers, ...clients].map((subscriber) => subscriber.closeAll()));
  });
});
