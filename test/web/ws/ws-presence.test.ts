import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createRoom } from '../../support/rest.js';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

let server: TestServer;
let tokens: Record<'ann' | 'bob' | 'service', string>;
let roomCounter = 0;
const open: WsTestClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ PRESENCE_EVENTS: '1' });
  const [ann, bob, service] = await Promise.all([
    signToken('ann', { name: 'Ann' }),
    signToken('bob', { name: 'Bob' }),
    signToken('backend', { scope: 'service' }),
  ]);
  tokens = { ann: ann!, bob: bob!, service: service! };
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((client) => client.close()));
});
afterAll(() => server?.stop());

async function connect(token: string): Promise<WsTestClient> {
  const client = await WsTestClient.connect(server.wsUrl, token);
  open.push(client);
  return client;
}

async function newRoom(capacity?: number, creator = tokens.service): Promise<string> {
  roomCounter += 1;
  const id = `presence-${roomCounter}`;
  await createRoom(server.baseUrl, creator, id, { capacity });
  return id;
}

async function presence(room: string): Promise<unknown> {
  return (await request(server.baseUrl).get(`/v1/rooms/${room}/presence`).set(bearer(tokens.service)).expect(200)).body;
}

describe('presence on one node', () => {
  it("announces a user's first connection to a room and their last one leaving, counting connections between", async () => {
    const room = await newRoom();
    const watcher = await connect(tokens.service);
    await watcher.request({ op: 'join', room });
    const annOne = await connect(tokens.ann);
    await annOne.request({ op: 'join', room });
    await watcher.waitFor(() => watcher.presenceEvents(room).length === 1);
    expect(await presence(room)).toEqual({ items: [{ userId: 'ann', name: 'Ann', connections: 1 }] });

    const annTwo = await connect(tokens.ann);
    await annTwo.request({ op: 'join', room });
    // The join's subscription is in the Hub before its ok is sent.
    expect(server.app.connections.counts().subscriptions).toBe(3);
    expect(await presence(room)).toEqual({ items: [{ userId: 'ann', name: 'Ann', connections: 2 }] });

    await annOne.request({ op: 'unsubscribe', room });
    await annTwo.close();
    await watcher.waitFor(() => watcher.presenceEvents(room).length === 2);
    expect(watcher.presenceEvents(room)).toEqual(['presence.joined:ann', 'presence.left:ann']);
    const left = watcher.events(room).find((event) => event.type === 'presence.left');
    expect(left).toMatchObject({ sender: 'ann', data: { userId: 'ann', name: 'Ann' } });
    expect(await presence(room)).toEqual({ items: [] });
  });

  it('stores presence events in the stream: a client rejoining with since receives the ones it missed', async () => {
    const room = await newRoom();
    const bob = await connect(tokens.bob);
    const joined = await bob.request({ op: 'join', room });
    const since = Number(joined.seq);
    await bob.close();
    const ann = await connect(tokens.ann);
    await ann.request({ op: 'join', room });
    await ann.close();
    const back = await connect(tokens.bob);
    await back.request({ op: 'join', room, since, epoch: joined.epoch });
    await back.waitFor(() => back.presenceEvents(room).length >= 4);
    // The join reply's seq is read before the join's own presence event is stored.
    expect(back.presenceEvents(room).slice(0, 4)).toEqual([
      'presence.joined:bob',
      'presence.left:bob',
      'presence.joined:ann',
      'presence.left:ann',
    ]);
  });

  it('announces nothing for a refused join, nor for a service', async () => {
    // Ann created it, so she is its one member.
    const room = await newRoom(1, tokens.ann);
    const watcher = await connect(tokens.service);
    await watcher.request({ op: 'join', room });
    const ann = await connect(tokens.ann);
    await ann.request({ op: 'join', room });
    const bob = await connect(tokens.bob);
    expect(await bob.request({ op: 'join', room })).toMatchObject({ op: 'error', code: 'room_full' });
    await bob.close();
    await ann.request({ op: 'publish', room, type: 'chat', data: 'marker' });
    await watcher.waitFor(() => watcher.events(room).some((event) => event.type === 'chat'));
    expect(watcher.presenceEvents(room)).toEqual(['presence.joined:ann']);
    expect(await presence(room)).toEqual({ items: [{ userId: 'ann', name: 'Ann', connections: 1 }] });
  });
});
