import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

let server: TestServer;
let tokens: Record<'ann' | 'bob' | 'cat' | 'service', string>;
let roomCounter = 0;
const open: WsTestClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const [ann, bob, cat, service] = await Promise.all([
    signToken('ann', { name: 'Ann' }),
    signToken('bob', { name: 'Bob' }),
    signToken('cat', { name: 'Cat' }),
    signToken('backend', { scope: 'service' }),
  ]);
  tokens = { ann: ann!, bob: bob!, cat: cat!, service: service! };
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((client) => client.close()));
});
afterAll(() => server?.stop());

const api = () => request(server.baseUrl);
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function connect(token: string): Promise<WsTestClient> {
  const client = await WsTestClient.connect(server.wsUrl, token);
  open.push(client);
  return client;
}

async function createRoom(capacity?: number): Promise<string> {
  roomCounter += 1;
  const id = `ws-${roomCounter}`;
  await api().post('/v1/rooms').set(auth(tokens.ann)).send({ id, name: id, capacity }).expect(201);
  return id;
}

async function publish(room: string, type: string, data: unknown): Promise<number> {
  const response = await api().post(`/v1/rooms/${room}/events`).set(auth(tokens.service)).send({ type, data });
  expect(response.status).toBe(201);
  return response.body.seq;
}

describe('receiving a room', () => {
  it('delivers 100 REST events to both members exactly once, in seq order, and none to another room', async () => {
    const room = await createRoom();
    const other = await createRoom();
    const ann = await connect(tokens.ann);
    const bob = await connect(tokens.bob);
    const cat = await connect(tokens.cat);
    const annJoin = await ann.request({ op: 'join', room });
    expect(annJoin).toMatchObject({ op: 'ok', room, seq: 0 });
    expect(typeof annJoin.epoch).toBe('string');
    const bobJoin = await bob.request({ op: 'join', room });
    expect(bobJoin).toMatchObject({ op: 'ok', room, seq: 1 });
    await cat.request({ op: 'join', room: other });

    const seqs: number[] = [];
    for (let i = 0; i < 100; i += 1) seqs.push(await publish(room, 'chat.message', { i }));

    for (const client of [ann, bob]) {
      await client.waitFor(() => client.events(room).some((event) => event.seq === seqs.at(-1)));
    }
    expect(ann.events(room).map((event) => event.seq)).toEqual([1, ...seqs]);
    expect(bob.events(room).map((event) => event.seq)).toEqual(seqs);
    expect(bob.events(room)[0]).toMatchObject({
      op: 'event',
      room,
      type: 'chat.message',
      data: { i: 0 },
      sender: 'backend',
    });
    expect(cat.events(room)).toEqual([]);
  });

  it('pushes member.joined on the first join only, over REST and WebSocket alike', async () => {
    const room = await createRoom();
    const ann = await connect(tokens.ann);
    await ann.request({ op: 'join', room });
    const bob = await connect(tokens.bob);
    await bob.request({ op: 'join', room });
    await bob.request({ op: 'join', room });
    await api().put(`/v1/rooms/${room}/members/me`).set(auth(tokens.bob)).expect(200);
    await api().put(`/v1/rooms/${room}/members/me`).set(auth(tokens.cat)).expect(201);
    const lastSeq = await publish(room, 'marker', null);
    await ann.waitFor(() => ann.events(room).some((event) => event.seq === lastSeq));
    expect(ann.events(room).map((event) => [event.type, (event.data as { userId?: string } | null)?.userId])).toEqual([
      ['member.joined', 'bob'],
      ['member.joined', 'cat'],
      ['marker', undefined],
    ]);
  });

  it('refuses a join past capacity with room_full', async () => {
    const room = await createRoom(1);
    const bob = await connect(tokens.bob);
    expect(await bob.request({ op: 'join', room })).toMatchObject({ op: 'error', code: 'room_full' });
  });

  it('lets a service subscribe without becoming a member', async () => {
    const room = await createRoom();
    const service = await connect(tokens.service);
    expect(await service.request({ op: 'join', room })).toMatchObject({ op: 'ok', seq: 0 });
    const seq = await publish(room, 'chat.message', 'hello');
    await service.waitFor(() => service.events(room).some((event) => event.seq === seq));
    expect(service.events(room).map((event) => event.type)).toEqual(['chat.message']);
    const members = await api().get(`/v1/rooms/${room}/members`).set(auth(tokens.service));
    expect(members.body.items.map((member: { userId: string }) => member.userId)).toEqual(['ann']);
  });

  it('changes the delivered types mid-stream with filter', async () => {
    const room = await createRoom();
    const ann = await connect(tokens.ann);
    await ann.request({ op: 'join', room, types: ['a'] });
    await publish(room, 'a', 1);
    await publish(room, 'b', 2);
    const third = await publish(room, 'a', 3);
    await ann.waitFor(() => ann.events(room).some((event) => event.seq === third));
    expect(await ann.request({ op: 'filter', room, types: ['b'] })).toMatchObject({ op: 'ok', room });
    await publish(room, 'a', 4);
    const fifth = await publish(room, 'b', 5);
    await ann.waitFor(() => ann.events(room).some((event) => event.seq === fifth));
    expect(await ann.request({ op: 'filter', room, types: null })).toMatchObject({ op: 'ok' });
    const sixth = await publish(room, 'a', 6);
    await ann.waitFor(() => ann.events(room).some((event) => event.seq === sixth));
    expect(ann.events(room).map((event) => event.data)).toEqual([1, 3, 5, 6]);
  });

  it('stops delivery on unsubscribe while membership stays', async () => {
    const room = await createRoom();
    const ann = await connect(tokens.ann);
    await ann.request({ op: 'join', room });
    expect(await ann.request({ op: 'unsubscribe', room })).toMatchObject({ op: 'ok', room });
    await publish(room, 'chat', 'missed');
    const other = await createRoom();
    await ann.request({ op: 'join', room: other });
    const seq = await publish(other, 'chat', 'seen');
    await ann.waitFor(() => ann.events(other).some((event) => event.seq === seq));
    expect(ann.events(room)).toEqual([]);
    const members = await api().get(`/v1/rooms/${room}/members`).set(auth(tokens.ann));
    expect(members.body.items.map((member: { userId: string }) => member.userId)).toContain('ann');
  });

  it('on leave pushes member.left and ends the user subscriptions on all their connections', async () => {
    const room = await createRoom();
    const bobOne = await connect(tokens.bob);
    const bobTwo = await connect(tokens.bob);
    const ann = await connect(tokens.ann);
    await bobOne.request({ op: 'join', room });
    await bobTwo.request({ op: 'join', room });
    await ann.request({ op: 'join', room });
    expect(await bobOne.request({ op: 'leave', room })).toMatchObject({ op: 'ok', room });
    const seq = await publish(room, 'after.leave', null);
    await ann.waitFor(() => ann.events(room).some((event) => event.seq === seq));
    expect(ann.events(room).map((event) => event.type)).toEqual(['member.left', 'after.leave']);
    expect(bobTwo.events(room).map((event) => event.type)).toEqual(['member.left']);
    expect(await bobTwo.request({ op: 'unsubscribe', room })).toMatchObject({ op: 'error', code: 'not_subscribed' });
  });

  it('publishes over the socket, replying with the seq', async () => {
    const room = await createRoom();
    const ann = await connect(tokens.ann);
    await ann.request({ op: 'join', room });
    const reply = await ann.request({ op: 'publish', room, type: 'chat.message', data: { text: 'hi' } });
    expect(reply).toMatchObject({ op: 'ok', seq: 1 });
    await ann.waitFor(() => ann.events(room).length === 1);
    expect(ann.events(room)[0]).toMatchObject({ seq: 1, sender: 'ann', data: { text: 'hi' } });
  });

  it('reports who is connected to a room in presence', async () => {
    const room = await createRoom();
    const annOne = await connect(tokens.ann);
    const annTwo = await connect(tokens.ann);
    await annOne.request({ op: 'join', room });
    await annTwo.request({ op: 'join', room });
    const response = await api().get(`/v1/rooms/${room}/presence`).set(auth(tokens.ann));
    expect(response.body).toEqual({ items: [{ userId: 'ann', name: 'Ann', connections: 2 }] });
  });

  it('forgets a closed connection: the Hub ends with no clients, subscriptions or rooms', async () => {
    const room = await createRoom();
    const ann = await connect(tokens.ann);
    await ann.request({ op: 'join', room });
    await Promise.all(open.splice(0).map((client) => client.close()));
    await server.untilConnectionsClosed();
    expect(server.app.connections.counts()).toEqual({ clients: 0, subscriptions: 0, rooms: 0 });
  });
});
