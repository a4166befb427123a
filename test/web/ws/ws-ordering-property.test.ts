import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { type ServerFrame, WsTestClient } from '../../support/ws-test-client.js';

// Slot i is played by USERS[i % 3]: with four slots, two connections belong to the same user.
const USERS = ['ann', 'bob', 'cat'] as const;

type RoomOp = { kind: 'join' | 'unsubscribe' | 'leave' | 'publishWs' | 'publishRest'; slot: number; room: number };
type Op = RoomOp | { kind: 'disconnect'; slot: number; isAbrupt: boolean };
interface Schedule {
  slots: number;
  rooms: number;
  ops: Op[];
}

/** One subscription of a connection: the seqs after `from` up to `to` (inclusive; open while live). */
interface Interval {
  from: number;
  to: number | undefined;
}

/** A connection as the model sees it: what it was subscribed to, and when. */
interface Connection {
  readonly client: WsTestClient;
  readonly user: string;
  readonly intervals: Map<string, Interval[]>;
  /** Ended by `terminate`: frames in flight may be lost, so it must have received a prefix. */
  isTruncated: boolean;
}

/** An event as the REST history returns it. */
interface StoredEvent {
  seq: number;
  [field: string]: unknown;
}

/** The model of one run: each room's last seq and members, each slot's live connection. */
interface Run {
  readonly rooms: string[];
  readonly lastSeq: Map<string, number>;
  readonly members: Map<string, Set<string>>;
  readonly live: (Connection | undefined)[];
  readonly connections: Connection[];
}

const slotArb = fc.nat(3);
const roomOp = (kind: RoomOp['kind']): fc.Arbitrary<Op> =>
  fc.record({ kind: fc.constant(kind), slot: slotArb, room: fc.nat(2) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: roomOp('join'), weight: 4 },
  { arbitrary: roomOp('publishWs'), weight: 3 },
  { arbitrary: roomOp('publishRest'), weight: 3 },
  { arbitrary: roomOp('unsubscribe'), weight: 1 },
  { arbitrary: roomOp('leave'), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('disconnect'), slot: slotArb, isAbrupt: fc.boolean() }), weight: 1 },
);
const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  // Mostly four slots, so that a user often has two connections.
  slots: fc.constantFrom(3, 4, 4),
  rooms: fc.integer({ min: 2, max: 3 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }),
});

let server: TestServer;
let serviceToken: string;
const tokens = new Map<string, string>();
let runCounter = 0;

beforeAll(async () => {
  server = await startTestServer();
  serviceToken = await signToken('backend', { scope: 'service' });
  for (const user of USERS) tokens.set(user, await signToken(user));
});
afterAll(() => server?.stop());

const api = () => request(server.baseUrl);
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const tokenOf = (user: string) => tokens.get(user)!;

async function roomLastSeq(room: string): Promise<number> {
  const response = await api().get(`/v1/rooms/${room}`).set(auth(serviceToken)).expect(200);
  return response.body.lastSeq;
}

async function history(room: string): Promise<StoredEvent[]> {
  const response = await api().get(`/v1/rooms/${room}/events?after=0&limit=1000`).set(auth(serviceToken)).expect(200);
  return response.body.items;
}

/** Fresh rooms of which every user is a member (joined over REST). */
async function startRun(schedule: Schedule): Promise<Run> {
  runCounter += 1;
  const rooms = Array.from({ length: schedule.rooms }, (_, r) => `prop-${runCounter}-${r}`);
  const run: Run = { rooms, lastSeq: new Map(), members: new Map(), live: [], connections: [] };
  for (const room of rooms) {
    await api().post('/v1/rooms').set(auth(serviceToken)).send({ id: room, name: room }).expect(201);
    for (const user of USERS) {
      await api()
        .put(`/v1/rooms/${room}/members/me`)
        .set(auth(tokenOf(user)))
        .expect(201);
    }
    run.lastSeq.set(room, await roomLastSeq(room));
    run.members.set(room, new Set(USERS));
  }
  run.live.length = schedule.slots;
  return run;
}

function openInterval(connection: Connection, room: string): Interval | undefined {
  const last = connection.intervals.get(room)?.at(-1);
  return last && last.to === undefined ? last : undefined;
}

function endSubscriptions(connection: Connection, room: string, lastSeq: number): void {
  const interval = openInterval(connection, room);
  if (interval) interval.to = lastSeq;
}

async function liveConnection(run: Run, slot: number): Promise<Connection> {
  const existing = run.live[slot];
  if (existing) return existing;
  const user = USERS[slot % USERS.length]!;
  const client = await WsTestClient.connect(server.wsUrl, tokenOf(user));
  const connection: Connection = { client, user, intervals: new Map(), isTruncated: false };
  run.live[slot] = connection;
  run.connections.push(connection);
  return connection;
}

async function disconnect(run: Run, slot: number, isAbrupt: boolean): Promise<void> {
  const connection = run.live[slot];
  if (!connection) return;
  connection.isTruncated = isAbrupt;
  if (isAbrupt) connection.client.socket.terminate();
  else connection.client.socket.close();
  await connection.client.closed();
  for (const room of run.rooms) endSubscriptions(connection, room, run.lastSeq.get(room)!);
  run.live[slot] = undefined;
}

async function join(run: Run, connection: Connection, room: string): Promise<void> {
  const isMember = run.members.get(room)!.has(connection.user);
  const reply = await connection.client.request({ op: 'join', room });
  // Only a non-member's join adds an event (member.joined) before live delivery begins.
  const seq = run.lastSeq.get(room)! + (isMember ? 0 : 1);
  expect(reply).toMatchObject({ op: 'ok', room, seq });
  // Re-joining replaces a live subscription seamlessly: the open interval simply goes on.
  if (!openInterval(connection, room)) {
    const intervals = connection.intervals.get(room) ?? [];
    intervals.push({ from: seq, to: undefined });
    connection.intervals.set(room, intervals);
  }
  run.lastSeq.set(room, seq);
  run.members.get(room)!.add(connection.user);
}

async function leave(run: Run, connection: Connection, room: string): Promise<void> {
  const isMember = run.members.get(room)!.has(connection.user);
  expect(await connection.client.request({ op: 'leave', room })).toMatchObject({ op: 'ok', room });
  const lastSeq = await roomLastSeq(room);
  expect(lastSeq).toBe(run.lastSeq.get(room)! + (isMember ? 1 : 0));
  run.lastSeq.set(room, lastSeq);
  run.members.get(room)!.delete(connection.user);
  // member.left reaches the leaver's own connections too, then their subscriptions end.
  for (const other of run.live) {
    if (other?.user === connection.user) endSubscriptions(other, room, lastSeq);
  }
}

async function publish(run: Run, slot: number, room: string, isOverRest: boolean, index: number): Promise<void> {
  const user = USERS[slot % USERS.length]!;
  const isMember = run.members.get(room)!.has(user);
  const next = run.lastSeq.get(room)! + 1;
  const data = { index, user };
  if (isOverRest) {
    const response = await api()
      .post(`/v1/rooms/${room}/events`)
      .set(auth(tokenOf(user)))
      .send({ type: 'note', data });
    expect(response.status).toBe(isMember ? 201 : 403);
    if (isMember) expect(response.body.seq).toBe(next);
  } else {
    const connection = await liveConnection(run, slot);
    const reply = await connection.client.request({ op: 'publish', room, type: 'note', data });
    expect(reply).toMatchObject(isMember ? { op: 'ok', seq: next } : { op: 'error', code: 'forbidden' });
  }
  if (isMember) run.lastSeq.set(room, next);
}

async function execute(run: Run, op: Op, index: number): Promise<void> {
  const slot = op.slot % run.live.length;
  if (op.kind === 'disconnect') return disconnect(run, slot, op.isAbrupt);
  const room = run.rooms[op.room % run.rooms.length]!;
  if (op.kind === 'publishWs' || op.kind === 'publishRest') {
    return publish(run, slot, room, op.kind === 'publishRest', index);
  }
  const connection = await liveConnection(run, slot);
  if (op.kind === 'join') return join(run, connection, room);
  if (op.kind === 'leave') return leave(run, connection, room);
  const isSubscribed = openInterval(connection, room) !== undefined;
  const reply = await connection.client.request({ op: 'unsubscribe', room });
  expect(reply).toMatchObject(isSubscribed ? { op: 'ok', room } : { op: 'error', code: 'not_subscribed' });
  endSubscriptions(connection, room, run.lastSeq.get(room)!);
}

/** Waits until the event with `seq` arrived; gives up quietly after the client's wait limit. */
async function arrival(client: WsTestClient, room: string, seq: number): Promise<void> {
  await client.waitFor(() => client.events(room).some((event) => event.seq === seq)).catch(() => undefined);
}

/** The room's events this connection must have received: those inside its subscription intervals. */
function expectedEvents(run: Run, connection: Connection, room: string, events: StoredEvent[]) {
  const intervals = connection.intervals.get(room) ?? [];
  const lastSeq = run.lastSeq.get(room)!;
  const isInside = (seq: number) => intervals.some(({ from, to }) => seq > from && seq <= (to ?? lastSeq));
  return events.filter((event) => isInside(event.seq)).map((event) => ({ op: 'event', ...event }));
}

async function checkDeliveries(run: Run): Promise<void> {
  const histories = new Map<string, StoredEvent[]>();
  for (const room of run.rooms) {
    const events = await history(room);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: run.lastSeq.get(room)! }, (_, i) => i + 1));
    histories.set(room, events);
  }
  const live = run.live.filter((connection) => connection !== undefined);
  for (const connection of live) {
    for (const room of run.rooms) {
      const last = expectedEvents(run, connection, room, histories.get(room)!).at(-1);
      // A missing event fails below with a diff rather than here with a timeout.
      if (last) await arrival(connection.client, room, last.seq);
    }
    // Replies share the pushes' queue: once this one is in, nothing pushed earlier is still on its way.
    const barrier = await connection.client.request({ op: 'unsubscribe', room: 'prop-barrier' });
    expect(barrier).toMatchObject({ op: 'error', code: 'not_subscribed' });
  }
  for (const connection of run.connections) {
    let total = 0;
    for (const room of run.rooms) {
      const expected = expectedEvents(run, connection, room, histories.get(room)!);
      const received: ServerFrame[] = connection.client.events(room);
      total += received.length;
      const what = `${connection.user}'s connection #${run.connections.indexOf(connection)} in ${room}`;
      if (connection.isTruncated) expect(received, what).toEqual(expected.slice(0, received.length));
      else expect(received, what).toEqual(expected);
    }
    expect(connection.client.events()).toHaveLength(total);
  }
}

describe('ordering property', () => {
  const title = 'delivers each room exactly within every subscription, in seq order, under random schedules';
  it(title, { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        const run = await startRun(schedule);
        try {
          for (const [index, op] of schedule.ops.entries()) await execute(run, op, index);
          await checkDeliveries(run);
        } finally {
          await Promise.all(run.connections.map((connection) => connection.client.close()));
        }
        await server.untilConnectionsClosed();
        expect(server.app.connections.counts()).toEqual({ clients: 0, subscriptions: 0, rooms: 0 });
      }),
      // The time limit lets a failure that shrinks slowly still report its counterexample.
      { numRuns: 25, interruptAfterTimeLimit: 60_000 },
    );
  });
});
