import type { EventEmitter } from 'node:events';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubCounts } from '../../../src/web/hub/room-registry.js';
import { bearer, createRoom } from '../../support/rest.js';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken, signTokens } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

const CYCLES = 5_000;
const BATCH = 50;
const USERS = 100;
const ROOMS = ['leak-a', 'leak-b', 'leak-c', 'leak-d', 'leak-e'];
// Per burst cycle; a batch runs about three burst cycles per room at once, so each room sees about
// seven publishes in flight while its burst clients close. Publishes are the costly part (the database).
const BURST = 2;
const PROCESS_EVENTS = ['exit', 'SIGTERM', 'uncaughtException', 'warning'] as const;

type Ending = 'close' | 'terminate' | 'burst';
const ENDINGS: readonly Ending[] = ['close', 'terminate', 'burst'];

let server: TestServer;
let serviceToken: string;
let userTokens: string[];

beforeAll(async () => {
  server = await startTestServer();
  serviceToken = await signToken('backend', { scope: 'service' });
  userTokens = await signTokens('leaker-', USERS);
  for (const id of ROOMS) await createRoom(server.baseUrl, serviceToken, id);
});
afterAll(() => server?.stop());

function listenerCounts(emitter: EventEmitter, names = emitter.eventNames()): Record<string, number> {
  return Object.fromEntries(names.map((name) => [String(name), emitter.listenerCount(name)]));
}

function isEmpty(counts: HubCounts): boolean {
  return counts.clients === 0 && counts.subscriptions === 0 && counts.rooms === 0;
}

async function publishOverRest(room: string, data: unknown): Promise<void> {
  const response = await request(server.baseUrl)
    .post(`/v1/rooms/${room}/events`)
    .set(bearer(serviceToken))
    .send({ type: 'burst', data });
  expect(response.status).toBe(201);
}

async function publishOverSocket(publisher: WsTestClient, room: string, data: unknown): Promise<void> {
  const reply = await publisher.request({ op: 'publish', room, type: 'burst', data });
  expect(reply).toMatchObject({ op: 'ok' });
}

/** Publishes a burst to the room (REST and socket alternately) and ends the client while it is under way. */
async function closeDuringBurst(client: WsTestClient, publisher: WsTestClient, room: string, cycle: number) {
  const burst = Promise.all(
    Array.from({ length: BURST }, (_, k) =>
      k % 2 === 0 ? publishOverRest(room, { cycle, k }) : publishOverSocket(publisher, room, { cycle, k }),
    ),
  );
  // Once an event has arrived the client is live, and its burst (with its neighbours') is under way.
  await client.waitFor(() => client.events(room).length > 0);
  if (cycle % 2 === 0) client.socket.terminate();
  else client.socket.close();
  await client.closed();
  await burst;
}

async function runCycle(cycle: number, publisher: WsTestClient): Promise<void> {
  const ending = ENDINGS[cycle % ENDINGS.length];
  const room = ROOMS[cycle % ROOMS.length]!;
  const client = await WsTestClient.connect(server.wsUrl, userTokens[cycle % USERS]!);
  const reply = await client.request({ op: 'join', room });
  expect(reply, `join of cycle ${cycle}`).toMatchObject({ op: 'ok', room });
  if (ending === 'close') {
    await client.close();
  } else if (ending === 'terminate') {
    client.socket.terminate();
    await client.closed();
  } else {
    await closeDuringBurst(client, publisher, room, cycle);
  }
}

describe('no leaks', () => {
  it(`forgets everything after ${CYCLES} connect, join and disconnect cycles`, { timeout: 90_000 }, async () => {
    const httpListeners = listenerCounts(server.app.server);
    const processListeners = listenerCounts(process, [...PROCESS_EVENTS]);
    const publisher = await WsTestClient.connect(server.wsUrl, serviceToken);

    for (let start = 0; start < CYCLES; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, CYCLES - start) }, (_, k) => start + k);
      await Promise.all(batch.map((cycle) => runCycle(cycle, publisher)));
    }
    await publisher.close();

    const hub = server.app.connections;
    // A leak fails on the next line, with the counts in the diff.
    await server.untilConnectionsClosed().catch(() => undefined);
    expect(hub.counts()).toEqual({ clients: 0, subscriptions: 0, rooms: 0 });
    expect(listenerCounts(server.app.server)).toEqual(httpListeners);
    expect(listenerCounts(process, [...PROCESS_EVENTS])).toEqual(processListeners);
    expect(await fetch(`${server.baseUrl}/metrics`).then((response) => response.text())).toMatch(
      /^roomcast_rooms_publishing 0$/m,
    );

    // The server still serves a newcomer as before.
    const fresh = await WsTestClient.connect(server.wsUrl, userTokens[0]!);
    expect(await fresh.request({ op: 'join', room: ROOMS[0] })).toMatchObject({ op: 'ok', room: ROOMS[0] });
    await publishOverRest(ROOMS[0]!, 'after');
    await fresh.waitFor(() => fresh.events(ROOMS[0]).some((event) => event.data === 'after'));
    expect(fresh.events(ROOMS[0]).map((event) => event.data)).toEqual(['after']);
    await fresh.close();
    await server.untilConnectionsClosed().catch(() => undefined);
    expect(hub.counts()).toEqual({ clients: 0, subscriptions: 0, rooms: 0 });
  });
});
