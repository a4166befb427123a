import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  SHORT_HISTORY,
  publishOverRest,
  publishOverSockets,
  seqRange,
  untilTrimmedPast,
} from '../support/delivery-subscriber.js';
import { eventually, withDeadline } from '../support/eventually.js';
import { bearer, createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { type ServerFrame, WsTestClient } from '../support/ws-test-client.js';

let server: TestServer;
let ann: string;
let service: string;
let roomCounter = 0;
const open: WsTestClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  ann = await signToken('ann', { name: 'Ann' });
  service = await signToken('backend', { scope: 'service' });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((client) => client.close()));
});
afterAll(() => server?.stop());

async function connect(target: TestServer = server): Promise<WsTestClient> {
  const client = await WsTestClient.connect(target.wsUrl, ann);
  open.push(client);
  return client;
}

async function newRoom(target: TestServer = server): Promise<string> {
  roomCounter += 1;
  const id = `resume-${roomCounter}`;
  await createRoom(target.baseUrl, ann, id);
  return id;
}

async function publish(room: string, type: string, target: TestServer = server): Promise<number> {
  const response = await request(target.baseUrl)
    .post(`/v1/rooms/${room}/events`)
    .set(bearer(service))
    .send({ type, data: { type } });
  expect(response.status).toBe(201);
  return response.body.seq;
}

const seqsOf = (client: WsTestClient, room: string) => client.events(room).map((event) => event.seq as number);

/** Waits for `seq` to arrive at the client. */
const arrival = (client: WsTestClient, room: string, seq: number, timeoutMs = 30_000) =>
  client.waitFor(() => client.events(room).some((event) => event.seq === seq), timeoutMs);

/** A first connection that receives events 1..`count` live, then goes away: returns its epoch. */
async function followThenLeave(room: string, count: number): Promise<string> {
  const first = await connect();
  const reply = await first.request({ op: 'join', room });
  expect(reply).toMatchObject({ op: 'ok', room, seq: 0 });
  expect(reply.recovered).toBeUndefined();
  await publishOverRest(server.baseUrl, service, room, count);
  await arrival(first, room, count);
  expect(seqsOf(first, room)).toEqual(seqRange(1, count));
  await first.close();
  return reply.epoch as string;
}

/**
 * A new connection joins with `since` (and `epoch`, when given) and gets an ok that says `reply`;
 * then one event is published, and it is the only one the connection receives.
 */
async function expectOnlyLiveAfterJoin(
  join: { room: string; since: number; epoch?: string },
  reply: { seq: number; recovered: boolean; epoch?: string },
  target: TestServer = server,
): Promise<void> {
  const client = await connect(target);
  expect(await client.request({ op: 'join', ...join })).toMatchObject({ op: 'ok', room: join.room, ...reply });
  const live = await publish(join.room, 'after', target);
  await arrival(client, join.room, live);
  expect(seqsOf(client, join.room)).toEqual([reply.seq + 1]);
}

/** The frames after the join reply: the reply must come before any event of the room. */
function framesAfterReply(client: WsTestClient, reply: ServerFrame): ServerFrame[] {
  const index = client.frames.indexOf(reply);
  expect(client.frames.slice(0, index).filter((frame) => frame.op === 'event')).toEqual([]);
  // Presence is state pushed beside the events (a snapshot, then diffs), not part of their stream.
  return client.frames.slice(index + 1).filter((frame) => frame.op !== 'presence');
}

describe('joining with since', () => {
  it('replays the 500 missed events in order, then live ones with no gap and no duplicate', async () => {
    const room = await newRoom();
    const epoch = await followThenLeave(room, 3);
    await publishOverRest(server.baseUrl, service, room, 500);

    const client = await connect();
    const reply = await client.request({ op: 'join', room, since: 3, epoch });
    expect(reply).toMatchObject({ op: 'ok', room, epoch, seq: 503, recovered: true });
    await publishOverRest(server.baseUrl, service, room, 5, 1);
    await arrival(client, room, 508);

    expect(seqsOf(client, room)).toEqual(seqRange(4, 508));
    expect(framesAfterReply(client, reply).map((frame) => frame.op)).toEqual(Array(505).fill('event'));
    // Replayed events are the stored ones, field for field.
    const history = await request(server.baseUrl)
      .get(`/v1/rooms/${room}/events?after=3&limit=1000`)
      .set(bearer(service))
      .expect(200);
    const stored = history.body.items.map((event: Record<string, unknown>) => ({ op: 'event', ...event }));
    expect(client.events(room)).toEqual(stored);
  });

  it('with since = the last seq replays nothing and says recovered, then delivers live events', async () => {
    const room = await newRoom();
    const epoch = await followThenLeave(room, 4);
    await expectOnlyLiveAfterJoin({ room, since: 4, epoch }, { epoch, seq: 4, recovered: true });
  });

  it('refuses since beyond the last seq with invalid_request, and leaves no subscription behind', async () => {
    const room = await newRoom();
    const epoch = await followThenLeave(room, 2);
    const client = await connect();
    const reply = await client.request({ op: 'join', room, since: 3, epoch });
    expect(reply).toMatchObject({ op: 'error', code: 'invalid_request' });
    expect(await client.request({ op: 'unsubscribe', room })).toMatchObject({ op: 'error', code: 'not_subscribed' });
    expect(client.events()).toEqual([]);
  });

  it('with another epoch says recovered: false, replays nothing and delivers live events only', async () => {
    const room = await newRoom();
    const epoch = await followThenLeave(room, 6);
    await expectOnlyLiveAfterJoin({ room, since: 2, epoch: `${epoch}-stale` }, { epoch, seq: 6, recovered: false });
  });

  it("with another epoch says recovered: false even when since is beyond this stream's last seq", async () => {
    // History restored from an older backup: the client's since counts in the stream it came from.
    const room = await newRoom();
    const epoch = await followThenLeave(room, 2);
    await expectOnlyLiveAfterJoin(
      { room, since: 50, epoch: `${epoch}-before-restore` },
      { epoch, seq: 2, recovered: false },
    );
  });

  it('applies the types filter to replayed and live events alike', async () => {
    const room = await newRoom();
    const epoch = await followThenLeave(room, 1);
    const missed: Record<string, number[]> = { a: [], b: [] };
    for (let i = 0; i < 20; i += 1) {
      const type = i % 3 === 0 ? 'a' : 'b';
      missed[type]!.push(await publish(room, type));
    }
    const client = await connect();
    const reply = await client.request({ op: 'join', room, since: 1, epoch, types: ['a'] });
    expect(reply).toMatchObject({ op: 'ok', seq: 21, recovered: true });
    const live: Record<string, number[]> = { a: [], b: [] };
    for (let i = 0; i < 10; i += 1) {
      const type = i % 2 === 0 ? 'b' : 'a';
      live[type]!.push(await publish(room, type));
    }
    await arrival(client, room, live.a!.at(-1)!);
    // A barrier: its reply is queued after every push sent before it.
    await client.request({ op: 'unsubscribe', room });
    expect(seqsOf(client, room)).toEqual([...missed.a!, ...live.a!]);
    expect(client.events(room).every((event) => event.type === 'a')).toBe(true);
  });

  it('replays 3,000 missed events while events keep being published, ending with exactly 1..N', async () => {
    const room = await newRoom();
    const epoch = await followThenLeave(room, 1);
    // ~6 MB of backlog: more than the kernel's socket buffers (4 MB at most for the sender here,
    // tcp_wmem) and the send queue hold, so the replay stalls.
    const bulk = 'x'.repeat(2_000);
    await publishOverSockets(server.wsUrl, service, room, 3_000, 4, (i) => ({ i, bulk }));

    const client = await connect();
    client.socket.pause();
    const replied = client.request({ op: 'join', room, since: 1, epoch }, 60_000);
    // Awaited below; a failure before then must be reported as that failure, not as an unhandled rejection.
    replied.catch(() => undefined);
    // A poll: once the kernel's buffers are full, the socket's own buffer passes its 64 KiB
    // high-water mark and stays there, as the paused client reads nothing. How much more waits in
    // the send queue depends on how much the kernel took while the replay was enqueueing.
    await eventually(() => server.app.connections.queueDepth().maxBytes >= 48 * 1024, 10_000, 'the replay stalls');
    const published: number[] = [];
    let markUnderWay: () => void = () => undefined;
    const underWay = new Promise<void>((resolve) => (markUnderWay = resolve));
    const publishing = (async () => {
      for (let i = 0; i < 400; i += 1) {
        published.push(await publish(room, 'during'));
        if (published.length === 20) markUnderWay();
      }
    })();
    // Let the reader go once events stored during the stalled replay are waiting behind it.
    await withDeadline(Promise.race([underWay, publishing]), 20_000, 'publishing under way');
    client.socket.resume();
    const reply = await replied;
    await publishing;
    const last = published.at(-1)!;
    await arrival(client, room, last, 60_000);

    expect(reply).toMatchObject({ op: 'ok', seq: 3_001, recovered: true });
    expect(last).toBe(3_401);
    expect(seqsOf(client, room)).toEqual(seqRange(2, last));
    expect(framesAfterReply(client, reply)).toHaveLength(3_400);
  }, 120_000);
});

describe('joining with since older than the kept history', () => {
  let trimmed: TestServer;
  beforeAll(async () => {
    trimmed = await startTestServer(SHORT_HISTORY);
  });
  afterAll(() => trimmed?.stop());

  it('says recovered: false, replays nothing and delivers live events only', async () => {
    const room = await newRoom(trimmed);
    await publishOverSockets(trimmed.wsUrl, service, room, 200);
    await untilTrimmedPast(trimmed.baseUrl, service, room, 2, 20_000);
    await expectOnlyLiveAfterJoin({ room, since: 1 }, { seq: 200, recovered: false }, trimmed);
  });
});
