import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type JoinInfo, RoomcastError, type RoomcastStreamClient } from '../../client/src/index.js';
import { publishOverRest, seqRange } from '../support/delivery-subscriber.js';
import { when } from '../support/eventually.js';
import { createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import {
  type RecordedClient,
  delivered,
  dropWhilePublishing,
  presentAre,
  recordEvents,
  rest,
  seqsOfType,
  stateChanges,
  stateReached,
  streamRecorded,
  FAST_RECONNECTS,
} from './client-harness.js';

let server: TestServer;
let ann: string;
let bob: string;
let roomCounter = 0;
const clients: RecordedClient<RoomcastStreamClient>[] = [];

beforeAll(async () => {
  server = await startTestServer();
  ann = await signToken('ann', { name: 'Ann' });
  bob = await signToken('bob', { name: 'Bob' });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map(({ client }) => client.close()));
});
afterAll(() => server?.stop());

function streamClient(token = ann, options: Partial<Parameters<typeof streamRecorded>[0]> = {}) {
  const recorded = streamRecorded({ url: server.baseUrl, token, reconnect: FAST_RECONNECTS, ...options });
  clients.push(recorded);
  return recorded;
}

async function newRoom(): Promise<string> {
  roomCounter += 1;
  const id = `sse-client-${roomCounter}`;
  await createRoom(server.baseUrl, ann, id);
  return id;
}

describe('the sse transport', () => {
  it('delivers a room as the WebSocket client does: joined, events once in order, presence', async () => {
    const roomId = await newRoom();
    const { client, states } = streamClient();
    const room = client.join<{ chat: { text: string } }>(roomId);
    const events = recordEvents(room);
    const info = await room.ready;
    expect(info).toMatchObject({ seq: 0 });
    expect(info.recovered).toBeUndefined();
    await presentAre(room, ['ann']);
    const seqs = await publishOverRest(server.baseUrl, ann, roomId, 20, 2, 'chat');
    await delivered(room, events, 20);
    expect(events.map((event) => event.seq)).toEqual(seqs.sort((a, b) => a - b));
    expect(events[0]).toMatchObject({ room: roomId, type: 'chat', sender: 'ann', data: { i: expect.any(Number) } });
    expect(states).toEqual(['connecting', 'open']);
    expect(room.seq).toBe(20);
  });

  it('resumes with Last-Event-ID across streams the server drops while publishing: every event once, in order', async () => {
    const roomId = await newRoom();
    const { client, states, retries } = streamClient();
    const room = client.join(roomId);
    const events = recordEvents(room);
    const joins: JoinInfo[] = [];
    room.on('joined', (join) => joins.push(join));
    await room.ready;

    const published = await dropWhilePublishing(server, ann, client, room, () => events.length);

    expect(seqsOfType(events, 'tick')).toEqual(published);
    expect(events.map((event) => event.seq)).toEqual(seqRange(1, 150));
    expect(retries.map(({ closeCode, room: retried }) => [closeCode, retried])).toEqual([
      [1001, roomId],
      [1011, roomId],
      [1013, roomId],
    ]);
    expect(states).toEqual(['connecting', 'open', ...Array(3).fill(['reconnecting', 'open']).flat()]);
    expect(joins.slice(1).every((join) => join.recovered === true)).toBe(true);
  });

  it('ends a room the server refuses (not a member: a stream never makes one), with the error', async () => {
    const roomId = await newRoom();
    const { client } = streamClient(bob);
    const room = client.join(roomId);
    const errors: RoomcastError[] = [];
    room.on('error', (error) => errors.push(error));
    await expect(room.ready).rejects.toMatchObject({ code: 'forbidden' });
    expect(errors.map((error) => error.code)).toEqual(['forbidden']);
    expect((await rest(server.baseUrl, ann, 'GET', `/v1/rooms/${roomId}`)).body.memberCount).toBe(1);
  });

  it('is read-only: publish is refused; leave is a REST call, and ends the room', async () => {
    const roomId = await newRoom();
    await rest(server.baseUrl, bob, 'PUT', `/v1/rooms/${roomId}/members/me`);
    const { client } = streamClient(bob);
    const room = client.join(roomId);
    await room.ready;
    await expect(room.publish('chat', 'hi')).rejects.toBeInstanceOf(RoomcastError);
    await expect(room.publish('chat', 'hi')).rejects.toMatchObject({ code: 'invalid_request' });
    await room.leave();
    const members = await rest(server.baseUrl, ann, 'GET', `/v1/rooms/${roomId}/members`);
    expect((members.body.items as { userId: string }[]).map((member) => member.userId)).toEqual(['ann']);
  });

  it('reports a room whose user left it elsewhere (close 1000) as ended with not_subscribed', async () => {
    const roomId = await newRoom();
    await rest(server.baseUrl, bob, 'PUT', `/v1/rooms/${roomId}/members/me`);
    const { client, retries } = streamClient(bob);
    const room = client.join(roomId);
    await room.ready;
    const errors: string[] = [];
    room.on('error', (error) => errors.push(error.code));
    await rest(server.baseUrl, bob, 'DELETE', `/v1/rooms/${roomId}/members/me`);
    await when(
      () => errors.length === 1,
      (wake) => room.on('error', wake),
      10_000,
      'the room ended',
    );
    expect(errors).toEqual(['not_subscribed']);
    expect(retries).toEqual([]);
  });

  it('reopens the stream with the new types on filter, losing nothing in between', async () => {
    const roomId = await newRoom();
    const { client } = streamClient();
    const room = client.join(roomId, { types: ['chat'] });
    const events = recordEvents(room);
    await room.ready;
    await publishOverRest(server.baseUrl, ann, roomId, 1, 1, 'chat');
    await publishOverRest(server.baseUrl, ann, roomId, 1, 1, 'note');
    await delivered(room, events, 1);
    await room.filter(['chat', 'note']);
    await delivered(room, events, 2);
    await publishOverRest(server.baseUrl, ann, roomId, 1, 1, 'note');
    await delivered(room, events, 3);
    expect(events.map((event) => [event.seq, event.type])).toEqual([
      [1, 'chat'],
      [2, 'note'],
      [3, 'note'],
    ]);
  });

  it('calls getToken before every stream, at once after close 4001; a fixed token closes the client', async () => {
    const roomId = await newRoom();
    let calls = 0;
    const renewing = streamClient(ann, {
      getToken: async () => {
        calls += 1;
        return signToken('ann', { name: 'Ann' });
      },
    });
    await renewing.client.join(roomId).ready;
    const fixed = streamClient();
    await fixed.client.join(roomId).ready;
    expect(calls).toBe(1);

    server.app.connections.closeAll(4001, 'token expired');
    await when(
      () => calls === 2 && renewing.client.state === 'open',
      stateChanges(renewing.client),
      10_000,
      'reopened with a new token',
    );
    expect(renewing.retries).toEqual([{ attempt: 1, delayMs: 0, closeCode: 4001, room: roomId }]);
    await stateReached(fixed.client, 'closed');
    expect(fixed.errors).toEqual(['unauthenticated']);
  });
});
