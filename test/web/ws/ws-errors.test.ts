import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

let server: TestServer;
let ann: string;
let bob: string;
const room = 'errors';
const open: WsTestClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
  [ann, bob] = await Promise.all([signToken('ann'), signToken('bob')]);
  await request(server.baseUrl)
    .post('/v1/rooms')
    .set('Authorization', `Bearer ${ann}`)
    .send({ id: room, name: 'Errors' })
    .expect(201);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((client) => client.close()));
});
afterAll(() => server?.stop());

async function connect(token = ann): Promise<WsTestClient> {
  const client = await WsTestClient.connect(server.wsUrl, token);
  open.push(client);
  return client;
}

/** Sends a raw frame and waits for the next reply. */
async function rawReply(client: WsTestClient, frame: string | Buffer) {
  const before = client.frames.length;
  client.socket.send(frame);
  return client.waitFor(() => client.frames[before]);
}

describe('replies to bad frames', () => {
  it.each([
    ['not JSON', '{"op": "join", ', 'invalid_message'],
    ['a JSON array', '[1, 2]', 'invalid_message'],
    ['a JSON string', '"join"', 'invalid_message'],
    ['an op that is not a string', '{"op": 42}', 'invalid_message'],
    ['an id of the wrong type', '{"op": "join", "room": "errors", "id": {"x": 1}}', 'invalid_message'],
    ['a room of the wrong type', '{"op": "join", "room": 7, "id": 1}', 'invalid_message'],
    ['a publish without data', '{"op": "publish", "room": "errors", "type": "chat", "id": 1}', 'invalid_message'],
    ['an unknown op', '{"op": "dance", "id": "x"}', 'unknown_op'],
    ['a room id that breaks the pattern', '{"op": "join", "room": "Not A Slug", "id": 1}', 'invalid_request'],
    [
      'an invalid event type',
      '{"op": "publish", "room": "errors", "type": "Bad Type", "data": 1, "id": 1}',
      'invalid_request',
    ],
  ])('answers %s with %s', async (_label, frame, code) => {
    const client = await connect();
    const reply = await rawReply(client, frame);
    expect(reply).toMatchObject({ op: 'error', code });
    expect(typeof reply.message).toBe('string');
  });

  it('echoes the id of a frame, string or number, and omits it when there was none', async () => {
    const client = await connect();
    expect(await rawReply(client, '{"op": "dance", "id": "abc"}')).toMatchObject({ id: 'abc' });
    expect(await rawReply(client, '{"op": "dance", "id": 7}')).toMatchObject({ id: 7 });
    expect('id' in (await rawReply(client, '{"op": "dance"}'))).toBe(false);
  });

  it('answers a binary frame with invalid_message', async () => {
    const client = await connect();
    expect(await rawReply(client, Buffer.from('{"op":"join"}'))).toMatchObject({
      op: 'error',
      code: 'invalid_message',
    });
  });

  it('closes the connection with 1009 on a frame over 64 KiB', async () => {
    const client = await connect();
    client.socket.send(JSON.stringify({ op: 'publish', room, type: 'blob', data: 'x'.repeat(70_000) }));
    expect(await client.closed()).toBe(1009);
  });
});

describe('replies to refused ops', () => {
  it('is room_not_found for an unknown room', async () => {
    const client = await connect();
    expect(await client.request({ op: 'join', room: 'nowhere' })).toMatchObject({
      op: 'error',
      code: 'room_not_found',
    });
    expect(await client.request({ op: 'publish', room: 'nowhere', type: 'chat', data: 1 })).toMatchObject({
      code: 'room_not_found',
    });
  });

  it('is forbidden for a non-member publish and for a reserved type', async () => {
    const stranger = await connect(bob);
    expect(await stranger.request({ op: 'publish', room, type: 'chat', data: 1 })).toMatchObject({ code: 'forbidden' });
    const member = await connect();
    expect(await member.request({ op: 'publish', room, type: 'member.joined', data: {} })).toMatchObject({
      code: 'forbidden',
    });
  });

  it('is invalid_request for data over 64 KiB that fits in a frame', async () => {
    const client = await connect();
    // 1e21 takes 4 bytes in the frame and 5 once serialised (1e+21): the frame fits, the data does not.
    const frame = `{"op":"publish","room":"${room}","type":"blob","data":[${Array(12_000).fill('1e21').join(',')}],"id":1}`;
    expect(Buffer.byteLength(frame)).toBeLessThan(64 * 1024);
    const reply = await rawReply(client, frame);
    expect(reply).toMatchObject({ op: 'error', id: 1, code: 'invalid_request' });
    expect(reply.message).toContain('limit');
  });

  it('is not_subscribed for unsubscribe or filter on a room the connection does not receive', async () => {
    const client = await connect();
    expect(await client.request({ op: 'unsubscribe', room })).toMatchObject({ code: 'not_subscribed' });
    expect(await client.request({ op: 'filter', room, types: ['a'] })).toMatchObject({ code: 'not_subscribed' });
  });

  it('is too_many_subscriptions past the per-connection limit; rejoining a held room is fine', async () => {
    const client = await connect();
    const rooms = ['errors-a', 'errors-b', 'errors-c'];
    for (const id of rooms) {
      await request(server.baseUrl)
        .post('/v1/rooms')
        .set('Authorization', `Bearer ${ann}`)
        .send({ id, name: id })
        .expect(201);
    }
    expect(await client.request({ op: 'join', room: rooms[0] })).toMatchObject({ op: 'ok' });
    expect(await client.request({ op: 'join', room: rooms[1] })).toMatchObject({ op: 'ok' });
    expect(await client.request({ op: 'join', room: rooms[1] })).toMatchObject({ op: 'ok' });
    expect(await client.request({ op: 'join', room: rooms[2] })).toMatchObject({ code: 'too_many_subscriptions' });
  });

  it('is invalid_request for a join with since beyond the room last seq', async () => {
    const client = await connect();
    const reply = await client.request({ op: 'join', room, since: 1_000_000 });
    expect(reply).toMatchObject({ code: 'invalid_request' });
    expect(reply.message).toContain('since');
    expect(await client.request({ op: 'unsubscribe', room })).toMatchObject({ code: 'not_subscribed' });
  });

  it('keeps serving the connection after every error', async () => {
    const client = await connect();
    await rawReply(client, 'garbage');
    await rawReply(client, '{"op": "dance"}');
    expect(await client.request({ op: 'join', room })).toMatchObject({ op: 'ok', room });
  });
});
