import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type JoinInfo, backoffDelay } from '../../client/src/index.js';
import { type TestDatabase, testDatabase } from '../support/databases.js';
import { publishOverRest, roomFirstSeq, roomLastSeq, seqRange } from '../support/delivery-subscriber.js';
import { eventuallyAsync, when } from '../support/eventually.js';
import { createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import {
  FakeNetwork,
  type RecordedClient,
  connectRecorded,
  delivered,
  deliveries,
  dropWhilePublishing,
  recordEvents,
  retriesOf,
  seqsOfType,
  stateChanges,
  stateReached,
  FAST_RECONNECTS,
} from './client-harness.js';

let database: TestDatabase;
let server: TestServer;
let ann: string;
let roomCounter = 0;
const clients: RecordedClient[] = [];

// Every server of this file shares one database, so that starting another one is quick.
beforeAll(async () => {
  database = await testDatabase();
  server = await startTestServer({}, database);
  ann = await signToken('ann', { name: 'Ann' });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map(({ client }) => client.close()));
});
afterAll(async () => {
  await server?.stop();
  await database?.dispose();
});

function annClient(options: Partial<Parameters<typeof connectRecorded>[0]> = {}, target = server): RecordedClient {
  const recorded = connectRecorded({ url: target.wsUrl, token: ann, reconnect: FAST_RECONNECTS, ...options });
  clients.push(recorded);
  return recorded;
}

async function newRoom(target = server): Promise<string> {
  roomCounter += 1;
  const id = `reconnect-${roomCounter}`;
  await createRoom(target.baseUrl, ann, id);
  return id;
}

describe('reconnecting', () => {
  it('delivers every event exactly once, in order, across connections the server drops while publishing', async () => {
    const roomId = await newRoom();
    const { client, states, retries } = annClient();
    const room = client.join(roomId);
    const events = recordEvents(room);
    const joins: JoinInfo[] = [];
    room.on('joined', (info) => joins.push(info));
    const { seq: liveAfter } = await room.ready;

    const ticks = () => seqsOfType(events, 'tick').length;
    const published = await dropWhilePublishing(server, ann, client, room, ticks);

    expect(seqsOfType(events, 'tick')).toEqual(published);
    // Every event of the room (membership included; presence is no event): once, in order, no gap.
    expect(events.map((event) => event.seq)).toEqual(seqRange(liveAfter + 1, events.at(-1)!.seq));
    expect(retries.map((retry) => retry.closeCode)).toEqual([1001, 1011, 1013]);
    expect(states).toEqual(['connecting', 'open', ...Array(3).fill(['reconnecting', 'open']).flat()]);
    expect(joins.slice(1).every((join) => join.recovered === true)).toBe(true);
  });

  it('calls getToken before every connection, and at once after close 4001', async () => {
    const roomId = await newRoom();
    let calls = 0;
    const { client, retries } = annClient({
      getToken: async () => {
        calls += 1;
        return signToken('ann', { name: 'Ann' });
      },
    });
    const room = client.join(roomId);
    const events = recordEvents(room);
    await room.ready;
    expect(calls).toBe(1);

    server.app.connections.closeAll(4001, 'token expired');
    // getToken is called before the connection it is for opens.
    await when(() => calls === 2 && client.state === 'open', stateChanges(client), 10_000, 'reopened with a new token');
    expect(retries).toEqual([{ attempt: 1, delayMs: 0, closeCode: 4001 }]);
    const [seq] = await publishOverRest(server.baseUrl, ann, roomId, 1);
    await delivered(room, events, seq!);
  });

  it('with a fixed token, close 4001 reports unauthenticated and closes the client', async () => {
    const roomId = await newRoom();
    const { client, errors, states } = annClient();
    await client.join(roomId).ready;
    server.app.connections.closeAll(4001, 'token expired');
    await stateReached(client, 'closed');
    expect(errors).toEqual(['unauthenticated']);
    expect(states).toEqual(['connecting', 'open', 'closed']);
  });

  it('waits the long policy delay after close 1008, even when woken', async () => {
    const roomId = await newRoom();
    const network = new FakeNetwork();
    const { client, retries } = annClient({ environment: network });
    await client.join(roomId).ready;
    const droppedAt = Date.now();
    server.app.connections.closeAll(1008, 'policy violation');
    await when(() => retries.length === 1, retriesOf(client), 10_000, 'the retry after 1008');
    network.goOnline();
    expect(client.state).toBe('reconnecting');
    await stateReached(client, 'open');
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(FAST_RECONNECTS.policyDelayMs);
    expect(retries[0]!.delayMs).toBeLessThan(2 * FAST_RECONNECTS.policyDelayMs);
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(FAST_RECONNECTS.policyDelayMs);
  });

  it('pauses while offline, and surfaces recovered: false when the missed events were trimmed', async () => {
    const trimming = await startTestServer({ HISTORY_MAX_EVENTS: '5', HISTORY_TRIM_INTERVAL_MS: '50' }, database);
    try {
      const roomId = await newRoom(trimming);
      const network = new FakeNetwork();
      let tokensFetched = 0;
      const { client } = annClient(
        {
          environment: network,
          getToken: () => {
            tokensFetched += 1;
            return ann;
          },
        },
        trimming,
      );
      const room = client.join(roomId);
      const events = recordEvents(room);
      const failures: JoinInfo[] = [];
      room.on('recovery-failed', (info) => failures.push(info));
      await room.ready;
      const before = await publishOverRest(trimming.baseUrl, ann, roomId, 2, 1);
      await when(() => seqsOfType(events, 'tick').length === 2, deliveries(room), 10_000, 'both ticks delivered');

      network.goOffline();
      trimming.app.connections.closeAll(1001, 'going away');
      await stateReached(client, 'reconnecting');
      await publishOverRest(trimming.baseUrl, ann, roomId, 20);
      const lastMissed = await roomLastSeq(trimming.baseUrl, ann, roomId);
      await trimming.untilConnectionsClosed();
      // A poll: the server trims on its own timer, seen only through REST.
      await eventuallyAsync(
        async () => (await roomFirstSeq(trimming.baseUrl, ann, roomId)) > (room.seq ?? 0) + 1,
        10_000,
        'the missed events trimmed',
      );
      expect(tokensFetched).toBe(1);

      network.goOnline();
      await when(
        () => failures.length === 1,
        (wake) => room.on('recovery-failed', wake),
        10_000,
        'recovery-failed reported',
      );
      expect(failures[0]!.recovered).toBe(false);
      expect(failures[0]!.seq).toBeGreaterThanOrEqual(lastMissed);
      const [live] = await publishOverRest(trimming.baseUrl, ann, roomId, 1);
      await delivered(room, events, live!);
      // Nothing of the gap was handed over, and live delivery went on after it.
      expect(seqsOfType(events, 'tick')).toEqual([...before!.sort((a, b) => a - b), live]);
    } finally {
      await Promise.all(clients.splice(0).map(({ client }) => client.close()));
      await trimming.stop();
    }
  });
});

describe('backoff', () => {
  it('never waits past the cap, and grows from the base with full jitter', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000, policyDelayMs: 5000 };
    const highest = (attempt: number) => backoffDelay(attempt, options, () => 0.999999);
    expect([0, 1, 2, 3, 4, 10, 50].map(highest)).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(backoffDelay(20, options, () => 0)).toBe(0);
  });

  it('keeps retrying a stopped server within the cap, then reconnects when it is back on the same port', async () => {
    let first: TestServer | undefined = await startTestServer({}, database);
    let second: TestServer | undefined;
    try {
      const roomId = await newRoom(first);
      const { client, retries } = annClient({}, first);
      const room = client.join(roomId);
      const events = recordEvents(room);
      await room.ready;
      const port = first.app.port;
      await first.stop();
      first = undefined;
      await when(() => retries.length >= 8, retriesOf(client), 20_000, 'eight retries');
      expect(retries.every((retry) => retry.delayMs < FAST_RECONNECTS.maxDelayMs)).toBe(true);
      expect(retries.map((retry) => retry.attempt)).toEqual(seqRange(1, retries.length));

      second = await startTestServer({ PORT: String(port) }, database);
      await stateReached(client, 'open', 10_000);
      const [seq] = await publishOverRest(second.baseUrl, ann, roomId, 1);
      await delivered(room, events, seq!);
      expect(seqsOfType(events, 'tick')).toEqual([seq]);
    } finally {
      await Promise.all(clients.splice(0).map(({ client }) => client.close()));
      await first?.stop();
      await second?.stop();
    }
  });
});
