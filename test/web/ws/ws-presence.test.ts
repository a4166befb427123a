import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createRoom } from '../../support/rest.js';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { type ServerFrame, WsTestClient } from '../../support/ws-test-client.js';

const USERS = ['ann', 'bob', 'carl', 'dora', 'eve'] as const;
type Name = (typeof USERS)[number] | 'service';

let server: TestServer;
let tokens: Record<Name, string>;
let roomCounter = 0;
const open: WsTestClient[] = [];

beforeAll(async () => {
  // A long window, so that a reconnect lands in the window its disconnect opened even on a busy machine.
  server = await startTestServer({ PRESENCE_DIFF_MS: '600', PRESENCE_MAX_LISTED: '3' });
  const signed = await Promise.all(USERS.map((id) => signToken(id, { name: id.toUpperCase() })));
  tokens = Object.fromEntries(USERS.map((id, i) => [id, signed[i]!])) as Record<Name, string>;
  tokens.service = await signToken('backend', { scope: 'service' });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((client) => client.close()));
});
afterAll(() => server?.stop());

async function connect(name: Name): Promise<WsTestClient> {
  const client = await WsTestClient.connect(server.wsUrl, tokens[name]);
  open.push(client);
  return client;
}

/** A new room (a join makes its user a member, up to `capacity`). */
async function newRoom(capacity?: number): Promise<string> {
  roomCounter += 1;
  const id = `presence-${roomCounter}`;
  await createRoom(server.baseUrl, tokens.service, id, { capacity });
  return id;
}

async function joined(name: Name, room: string, extra: Record<string, unknown> = {}): Promise<WsTestClient> {
  const client = await connect(name);
  const reply = await client.request({ op: 'join', room, ...extra });
  expect(reply, JSON.stringify(reply)).toMatchObject({ op: 'ok' });
  return client;
}

async function presentIds(room: string): Promise<string[]> {
  const { body } = await request(server.baseUrl).get(`/v1/rooms/${room}/presence`).set(bearer(tokens.service));
  return (body as { items: { userId: string }[] }).items.map((user) => user.userId).sort();
}

function diffs(client: WsTestClient, room: string): ServerFrame[] {
  return client.presenceFrames(room).slice(1);
}

describe('presence frames on one node', () => {
  it('sends a snapshot after the ok, then the changes as diffs', async () => {
    const room = await newRoom();
    const ann = await joined('ann', room);
    expect(await presentIds(room)).toEqual(['ann']);
    await ann.waitFor(() => ann.presenceFrames(room).length === 1);
    expect(ann.presenceFrames(room)).toEqual([
      { op: 'presence', room, count: 1, users: [{ userId: 'ann', name: 'ANN' }] },
    ]);

    const bob = await joined('bob', room);
    expect(await presentIds(room)).toEqual(['ann', 'bob']);
    await bob.waitFor(() => bob.presence(room));
    expect(bob.presence(room)).toEqual({ count: 2, users: ['ann', 'bob'] });
    await ann.waitFor(() => ann.presence(room)?.count === 2);
    expect(diffs(ann, room)).toEqual([
      { op: 'presence', room, count: 2, joined: [{ userId: 'bob', name: 'BOB' }], left: [] },
    ]);

    await bob.close();
    await ann.waitFor(() => ann.presence(room)?.count === 1);
    expect(diffs(ann, room).at(-1)).toEqual({ op: 'presence', room, count: 1, joined: [], left: ['bob'] });
    expect(await presentIds(room)).toEqual(['ann']);
  });

  it("coalesces a burst into a few diffs, and a user's second connection or quick reconnect is no change", async () => {
    const room = await newRoom();
    const ann = await joined('ann', room);
    const bob = await joined('bob', room);
    await ann.waitFor(() => ann.presence(room)?.count === 2);
    const before = ann.presenceFrames(room).length;

    await bob.close();
    const bobAgain = await joined('bob', room);
    await joined('ann', room);
    const carl = await joined('carl', room);
    await carl.waitFor(() => carl.presence(room));
    await ann.waitFor(() => ann.presence(room)?.count === 3);
    const burst = ann.presenceFrames(room).slice(before);
    expect(burst).toEqual([{ op: 'presence', room, count: 3, joined: [{ userId: 'carl', name: 'CARL' }], left: [] }]);
    expect(bobAgain.presence(room)).toEqual({ count: 3, users: ['ann', 'bob', 'carl'] });
  });

  it('sends counts alone above PRESENCE_MAX_LISTED, and a snapshot again once the room falls back under it', async () => {
    const room = await newRoom();
    const ann = await joined('ann', room);
    await Promise.all(['bob', 'carl'].map((name) => joined(name as Name, room)));
    await ann.waitFor(() => ann.presence(room)?.count === 3);
    const dora = await joined('dora', room);
    await dora.waitFor(() => dora.presence(room));
    expect(dora.presenceFrames(room)).toEqual([{ op: 'presence', room, count: 4 }]);
    await ann.waitFor(() => ann.presence(room)?.count === 4);
    expect(ann.presence(room)).toEqual({ count: 4 });

    await dora.close();
    await ann.waitFor(() => ann.presence(room)?.count === 3);
    expect(ann.presenceFrames(room).at(-1)).toMatchObject({ count: 3, users: expect.any(Array) });
    expect(ann.presence(room)).toEqual({ count: 3, users: ['ann', 'bob', 'carl'] });
  });

  it('sends no presence frames to a join with presence: false, though the user counts as present', async () => {
    const room = await newRoom();
    const quiet = await joined('ann', room, { presence: false });
    const bob = await joined('bob', room);
    await bob.waitFor(() => bob.presence(room));
    expect(bob.presence(room)).toEqual({ count: 2, users: ['ann', 'bob'] });
    // An event sent after bob had his snapshot reaches ann after any presence frame sent to her.
    await bob.request({ op: 'publish', room, type: 'chat', data: 'marker' });
    await quiet.waitFor(() => quiet.events(room).length > 0);
    expect(quiet.frames.filter((frame) => frame.op === 'presence')).toEqual([]);
  });

  it('counts no service and no refused join, and stores no presence events', async () => {
    // The service that created it is its first member.
    const room = await newRoom(2);
    const service = await joined('service', room);
    await service.waitFor(() => service.presence(room));
    expect(service.presence(room)).toEqual({ count: 0, users: [] });
    const ann = await joined('ann', room);
    const refused = await connect('bob');
    expect(await refused.request({ op: 'join', room })).toMatchObject({ op: 'error', code: 'room_full' });
    expect(await presentIds(room)).toEqual(['ann']);
    await service.waitFor(() => service.presence(room)?.count === 1);
    expect(service.presence(room)).toEqual({ count: 1, users: ['ann'] });
    await ann.close();
    await service.waitFor(() => service.presence(room)?.count === 0);
    const { body } = await request(server.baseUrl).get(`/v1/rooms/${room}/events`).set(bearer(tokens.service));
    const types = (body as { items: { type: string }[] }).items.map((event) => event.type);
    expect(types.filter((type) => !type.startsWith('member.'))).toEqual([]);
  });

  it('refuses a presence option that is not a boolean', async () => {
    const room = await newRoom();
    const ann = await connect('ann');
    expect(await ann.request({ op: 'join', room, presence: 'no' })).toMatchObject({
      op: 'error',
      code: 'invalid_message',
      message: expect.stringContaining('presence'),
    });
  });
});
