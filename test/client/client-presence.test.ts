import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceChange, Room } from '../../client/src/index.js';
import { when } from '../support/eventually.js';
import { createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import {
  FakeNetwork,
  type RecordedClient,
  connectRecorded,
  deliveries,
  presenceUpdates,
  presentAre,
  presentIds,
  recordEvents,
  recordPresence,
  stateReached,
} from './client-harness.js';

/** Small enough for three users to go over it: above it the server sends the count alone. */
const MAX_LISTED = 2;

let server: TestServer;
let ann: string;
let bob: string;
let carol: string;
let roomCounter = 0;
const clients: RecordedClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ PRESENCE_MAX_LISTED: String(MAX_LISTED) });
  [ann, bob, carol] = await Promise.all([
    signToken('ann', { name: 'Ann' }),
    signToken('bob', { name: 'Bob' }),
    signToken('carol', { name: 'Carol' }),
  ]);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map(({ client }) => client.close()));
});
afterAll(() => server?.stop());

function clientOf(token: string, network?: FakeNetwork): RecordedClient {
  const recorded = connectRecorded({ url: server.wsUrl, token, ...(network && { environment: network }) });
  clients.push(recorded);
  return recorded;
}

async function newRoom(): Promise<string> {
  roomCounter += 1;
  const id = `presence-${roomCounter}`;
  await createRoom(server.baseUrl, ann, id);
  return id;
}

/** A snapshot or a count alone replaced the state: nothing is reported as joined or left. */
const isReplacement = (change: PresenceChange | undefined) => change?.joined.length === 0 && change.left.length === 0;

/** Ann in a new room, then Bob, each waiting until their presence lists them both. */
async function annThenBob() {
  const roomId = await newRoom();
  const annRoom = clientOf(ann).client.join(roomId);
  const annChanges = recordPresence(annRoom);
  await presentAre(annRoom, ['ann']);
  const bobRoom = clientOf(bob).client.join(roomId);
  const bobChanges = recordPresence(bobRoom);
  await Promise.all([presentAre(annRoom, ['ann', 'bob']), presentAre(bobRoom, ['ann', 'bob'])]);
  return { roomId, annRoom, annChanges, bobRoom, bobChanges };
}

describe('presence in a room', () => {
  it('the joiner gets a snapshot of who is here; those already here get a diff naming it', async () => {
    const { annRoom, annChanges, bobChanges } = await annThenBob();
    expect(annChanges[0]).toEqual({ presence: { count: 1, users: new Map([['ann', 'Ann']]) }, joined: [], left: [] });
    expect(annChanges.at(-1)).toMatchObject({ joined: [{ userId: 'bob', name: 'Bob' }], left: [] });
    expect(bobChanges[0]?.presence).toEqual({
      count: 2,
      users: new Map([
        ['ann', 'Ann'],
        ['bob', 'Bob'],
      ]),
    });
    expect(isReplacement(bobChanges[0])).toBe(true);
    expect(annRoom.presence).toBe(annChanges.at(-1)?.presence);
  });

  it('a user whose connection closes leaves the presence of the others; presence is no event', async () => {
    const roomId = await newRoom();
    const annRoom = clientOf(ann).client.join(roomId);
    const events = recordEvents(annRoom);
    const annChanges = recordPresence(annRoom);
    await presentAre(annRoom, ['ann']);
    const bobClient = clientOf(bob).client;
    await bobClient.join(roomId).ready;
    await when(() => events.length === 1, deliveries(annRoom), 10_000, "Bob's member.joined delivered");
    await presentAre(annRoom, ['ann', 'bob']);
    await bobClient.close();
    await presentAre(annRoom, ['ann']);
    expect(annChanges.at(-1)).toMatchObject({ joined: [], left: ['bob'] });
    // Membership stays a stored event; presence takes no seq and never shows in the event stream.
    expect(events.map((event) => event.type)).toEqual(['member.joined']);
  });

  it('presence: false gets no presence for that room', async () => {
    const [quiet, loud] = [await newRoom(), await newRoom()];
    const { client } = clientOf(ann);
    const quietRoom = client.join(quiet, { presence: false });
    const quietChanges = recordPresence(quietRoom);
    const loudRoom = client.join(loud);
    await presentAre(loudRoom, ['ann']);
    // Bob arrives in the quiet room first: a diff for it would reach Ann's connection before the loud room's.
    const bobClient = clientOf(bob).client;
    await bobClient.join(quiet).ready;
    await bobClient.join(loud).ready;
    await presentAre(loudRoom, ['ann', 'bob']);
    expect(quietChanges).toEqual([]);
    expect(quietRoom.presence).toBeUndefined();
  });

  it(`above ${MAX_LISTED} present users: the count alone, and the list again once back under it`, async () => {
    const { roomId, annRoom, bobRoom } = await annThenBob();
    const carolClient = clientOf(carol).client;
    const rooms = [annRoom, bobRoom, carolClient.join(roomId)];
    const isCountOnly = (room: Room) => room.presence?.count === 3 && room.presence.users === undefined;
    await when(() => rooms.every(isCountOnly), rooms.map(presenceUpdates), 10_000, 'the count alone in every room');
    await carolClient.close();
    await Promise.all([presentAre(annRoom, ['ann', 'bob']), presentAre(bobRoom, ['ann', 'bob'])]);
  });
});

describe('presence across reconnects', () => {
  it('keeps the last state while disconnected; the rejoin brings a snapshot that replaces it', async () => {
    const network = new FakeNetwork();
    const roomId = await newRoom();
    const { client } = clientOf(ann, network);
    const annRoom = client.join(roomId);
    const log: (PresenceChange | 'joined')[] = [];
    annRoom.on('joined', () => log.push('joined'));
    annRoom.on('presence', (change) => log.push(change));
    await presentAre(annRoom, ['ann']);
    const bobClient = clientOf(bob).client;
    await bobClient.join(roomId).ready;
    await presentAre(annRoom, ['ann', 'bob']);
    const before = annRoom.presence;

    network.goOffline();
    server.app.connections.closeAll(1001, 'test drops every connection');
    await stateReached(client, 'reconnecting');
    const drop = log.length;
    // While Ann is away, Bob goes and Carol comes; Carol sees the room as it is then.
    await bobClient.close();
    const carolRoom = clientOf(carol).client.join(roomId);
    await presentAre(carolRoom, ['carol']);
    expect(annRoom.presence).toBe(before);
    expect(presentIds(annRoom)).toEqual(['ann', 'bob']);

    network.goOnline();
    await presentAre(annRoom, ['ann', 'carol']);
    expect(log[drop]).toBe('joined');
    const afterRejoin = log[drop + 1] as PresenceChange;
    expect(isReplacement(afterRejoin)).toBe(true);
  });
});
