import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RoomcastError } from '../../client/src/index.js';
import { publishOverRest } from '../support/delivery-subscriber.js';
import { when } from '../support/eventually.js';
import { createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import {
  FakeNetwork,
  type RecordedClient,
  connectRecorded,
  delivered,
  deliveries,
  recordEvents,
  rest,
  seqsOfType,
} from './client-harness.js';

let server: TestServer;
let ann: string;
let bob: string;
let roomCounter = 0;
const clients: RecordedClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  ann = await signToken('ann', { name: 'Ann' });
  bob = await signToken('bob', { name: 'Bob' });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map(({ client }) => client.close()));
});
afterAll(() => server?.stop());

function clientOf(token: string, options: { network?: FakeNetwork; requestTimeoutMs?: number } = {}) {
  const recorded = connectRecorded({
    url: server.wsUrl,
    token,
    ...(options.network && { environment: options.network }),
    ...(options.requestTimeoutMs && { requestTimeoutMs: options.requestTimeoutMs }),
  });
  clients.push(recorded);
  return recorded;
}

async function newRoom(): Promise<string> {
  roomCounter += 1;
  const id = `client-${roomCounter}`;
  await createRoom(server.baseUrl, ann, id);
  return id;
}

/** Bob in a room of Ann's, joined through the client; `delivered` is how many events arrived by then. */
async function bobInNewRoom() {
  const roomId = await newRoom();
  const { client } = clientOf(bob);
  const room = client.join(roomId);
  const events = recordEvents(room);
  await room.ready;
  return { roomId, room, events, delivered: events.length };
}

async function memberIds(roomId: string): Promise<string[]> {
  const members = await rest(server.baseUrl, ann, 'GET', `/v1/rooms/${roomId}/members`);
  return (members.body.items as { userId: string }[]).map((member) => member.userId);
}

describe('joining and receiving', () => {
  it('joins, then delivers the events published over REST in order, typed by event type', async () => {
    const roomId = await newRoom();
    const { client, states } = clientOf(bob);
    const room = client.join<{ 'chat.message': { text: string } }>(roomId);
    const texts: string[] = [];
    room.on('event', (event) => {
      if (event.type === 'chat.message') texts.push(event.data.text);
    });
    const events = recordEvents(room);
    const joined = await room.ready;
    expect(joined).toMatchObject({ seq: expect.any(Number), epoch: expect.any(String) });
    expect(states).toEqual(['connecting', 'open']);

    for (const text of ['one', 'two', 'three']) {
      await rest(server.baseUrl, ann, 'POST', `/v1/rooms/${roomId}/events`, { type: 'chat.message', data: { text } });
    }
    await when(() => texts.length === 3, deliveries(room), 10_000, 'three chat messages delivered');
    expect(texts).toEqual(['one', 'two', 'three']);
    expect(room.seq).toBe(events.at(-1)?.seq);
    expect(events[0]!.seq).toBeGreaterThan(joined.seq);
  });

  it('sees other members join and leave', async () => {
    const roomId = await newRoom();
    const room = clientOf(ann).client.join(roomId);
    const events = recordEvents(room);
    await room.ready;
    const bobs = clientOf(bob).client.join(roomId);
    await bobs.ready;
    await bobs.leave();
    const membership = () => events.filter((event) => event.type.startsWith('member.'));
    await when(() => membership().length === 2, deliveries(room), 10_000, 'member.joined and member.left delivered');
    expect(membership().map((event) => [event.type, event.data])).toEqual([
      ['member.joined', { userId: 'bob', name: 'Bob' }],
      ['member.left', { userId: 'bob', name: 'Bob' }],
    ]);
  });

  it('fails the room with the protocol code when the server refuses the join', async () => {
    const { client } = clientOf(bob);
    const room = client.join('no-such-room');
    const errors: RoomcastError[] = [];
    room.on('error', (error) => errors.push(error));
    const refusal = await room.ready.catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RoomcastError);
    expect(refusal).toMatchObject({ code: 'room_not_found' });
    expect(errors.map((error) => error.code)).toEqual(['room_not_found']);
    // A refused room is forgotten: joining it again starts afresh.
    expect(client.join('no-such-room')).not.toBe(room);
  });
});

describe('publishing', () => {
  it('resolves with the seq the server assigned, and the publisher receives its own event once', async () => {
    const roomId = await newRoom();
    const room = clientOf(ann).client.join(roomId);
    const events = recordEvents(room);
    const seq = await room.publish('chat.message', { text: 'hi' });
    await delivered(room, events, seq);
    expect(events.filter((event) => event.seq === seq)).toHaveLength(1);
    expect(events.find((event) => event.seq === seq)).toMatchObject({ type: 'chat.message', sender: 'ann' });
  });

  it('publishes once per idempotency key: a retry resolves with the original seq, other data with idempotency_conflict', async () => {
    const roomId = await newRoom();
    const room = clientOf(ann).client.join(roomId);
    const events = recordEvents(room);
    const seq = await room.publish('order.paid', { id: 1 }, { idempotencyKey: 'order-1' });
    expect(await room.publish('order.paid', { id: 1 }, { idempotencyKey: 'order-1' })).toBe(seq);
    await expect(room.publish('order.paid', { id: 2 }, { idempotencyKey: 'order-1' })).rejects.toMatchObject({
      code: 'idempotency_conflict',
    });
    const after = await room.publish('marker', null);
    await delivered(room, events, after);
    expect(events.map((event) => event.type)).toEqual(['order.paid', 'marker']);
  });

  it.each([
    ['a reserved type', 'member.fake', { x: 1 }, 'forbidden'],
    ['a malformed type', 'Not A Type', { x: 1 }, 'invalid_request'],
  ])('rejects %s with its protocol code', async (_what, type, data, code) => {
    const roomId = await newRoom();
    const room = clientOf(ann).client.join(roomId);
    const error = await room.publish(type, data).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(RoomcastError);
    expect(error).toMatchObject({ code });
  });

  it('rejects publishing to a room the user is not a member of with forbidden', async () => {
    const roomId = await newRoom();
    const { client } = clientOf(bob);
    const room = client.join(roomId);
    await room.ready;
    await room.leave();
    await expect(room.publish('chat.message', {})).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('refuses a frame over 64 KiB itself, keeping the connection open', async () => {
    const roomId = await newRoom();
    const { client, retries } = clientOf(ann);
    const room = client.join(roomId);
    await room.ready;
    await expect(room.publish('blob', 'x'.repeat(70 * 1024))).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await room.publish('small', 1)).toBeGreaterThan(0);
    expect(retries).toEqual([]);
  });
});

describe('filter, unsubscribe, leave', () => {
  it('filter changes which types arrive, and null restores every type', async () => {
    const roomId = await newRoom();
    const room = clientOf(ann).client.join(roomId, { types: ['a'] });
    const events = recordEvents(room);
    await room.ready;
    await publishOverRest(server.baseUrl, ann, roomId, 2, 1, 'a');
    await publishOverRest(server.baseUrl, ann, roomId, 2, 1, 'b');
    await room.filter(['b']);
    await publishOverRest(server.baseUrl, ann, roomId, 1, 1, 'a');
    const [lastB] = await publishOverRest(server.baseUrl, ann, roomId, 1, 1, 'b');
    await delivered(room, events, lastB!);
    expect(events.map((event) => event.type)).toEqual(['a', 'a', 'b']);
    await room.filter(null);
    const [lastA] = await publishOverRest(server.baseUrl, ann, roomId, 1, 1, 'a');
    await delivered(room, events, lastA!);
    // Presence is state, not events: nothing but what was published shows in the stream.
    expect(events.map((event) => event.type)).toEqual(['a', 'a', 'b', 'a']);
  });

  it('unsubscribe stops the events but keeps the membership', async () => {
    const { roomId, room, events, delivered } = await bobInNewRoom();
    await room.unsubscribe();
    // The publish's ok comes after any push to this connection, so nothing can still be on its way.
    expect(await room.publish('chat.message', 'still a member')).toBeGreaterThan(0);
    expect(events).toHaveLength(delivered);
    expect(await memberIds(roomId)).toContain('bob');
  });

  it('leave ends the membership and the events', async () => {
    const { roomId, room, events, delivered } = await bobInNewRoom();
    await room.leave();
    await publishOverRest(server.baseUrl, ann, roomId, 2);
    // The refusal comes after any push to this connection, so nothing can still be on its way.
    await expect(room.publish('chat.message', 'no longer a member')).rejects.toMatchObject({ code: 'forbidden' });
    expect(await memberIds(roomId)).toEqual(['ann']);
    expect(events).toHaveLength(delivered);
  });
});

describe('ops while disconnected', () => {
  it('queues a publish until the connection opens, after the room is joined', async () => {
    const roomId = await newRoom();
    const network = new FakeNetwork();
    network.goOffline();
    const { client, states } = clientOf(ann, { network });
    const room = client.join(roomId);
    const events = recordEvents(room);
    const published = room.publish('chat.message', 'sent while offline');
    expect(client.state).toBe('connecting');
    network.goOnline();
    const seq = await published;
    await delivered(room, events, seq);
    expect(seqsOfType(events, 'chat.message')).toEqual([seq]);
    expect(states).toEqual(['connecting', 'open']);
  });

  it('fails a queued op with unavailable after the request timeout, and every op on close', async () => {
    const roomId = await newRoom();
    const network = new FakeNetwork();
    network.goOffline();
    const { client } = clientOf(ann, { network, requestTimeoutMs: 100 });
    const room = client.join(roomId);
    await expect(room.publish('chat.message', 'lost')).rejects.toMatchObject({ code: 'unavailable' });
    const pending = room.publish('chat.message', 'closed');
    await client.close();
    await expect(pending).rejects.toMatchObject({ code: 'unavailable' });
    await expect(room.ready).rejects.toMatchObject({ code: 'unavailable' });
    expect(client.state).toBe('closed');
    const history = await rest(server.baseUrl, ann, 'GET', `/v1/rooms/${roomId}/events?after=0`);
    expect(history.body.items).toEqual([]);
  });

  it('a filter set while disconnected is carried by the join', async () => {
    const roomId = await newRoom();
    const network = new FakeNetwork();
    network.goOffline();
    const { client } = clientOf(ann, { network });
    const room = client.join(roomId);
    const events = recordEvents(room);
    await room.filter(['wanted']);
    network.goOnline();
    await room.ready;
    const seqs = [
      ...(await publishOverRest(server.baseUrl, ann, roomId, 1, 1, 'unwanted')),
      ...(await publishOverRest(server.baseUrl, ann, roomId, 1, 1, 'wanted')),
    ];
    await delivered(room, events, seqs[1]!);
    expect(events.map((event) => event.type)).toEqual(['wanted']);
  });
});
