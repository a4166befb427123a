import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createRoom } from '../support/rest.js';
import { type RoomState, lastEvent, roomState } from '../support/security-fixtures.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient, refusedUpgrade } from '../support/ws-test-client.js';

// Who may do what, cell by cell, from the contract (shared PROTOCOL.md and docs/protocol.md):
// every cell checks the answer and what it left behind (events stored, members added or removed).

type Actor = 'no token' | 'bad token' | 'non-member' | 'member' | 'service';
type ConnectedActor = Exclude<Actor, 'no token' | 'bad token'>;

const USER_OF: Record<ConnectedActor, string> = { 'non-member': 'nina', member: 'mia', service: 'backend' };
const OWNER = 'owen';

let server: TestServer;
let tokens: Record<Actor, string | undefined>;
let serviceToken: string;
let ownerToken: string;
let roomCount = 0;

beforeAll(async () => {
  server = await startTestServer();
  const [nina, mia, backend, owen, forged] = await Promise.all([
    signToken(USER_OF['non-member']),
    signToken(USER_OF.member),
    signToken(USER_OF.service, { scope: 'service' }),
    signToken(OWNER),
    signToken(USER_OF.member, { secret: 'a-secret-that-is-not-the-servers-own!!' }),
  ]);
  tokens = { 'no token': undefined, 'bad token': forged, 'non-member': nina, member: mia, service: backend };
  serviceToken = backend;
  ownerToken = owen;
});
afterAll(() => server?.stop());

/** A fresh room per cell: created by its owner, joined by the member (so it holds one event, seq 1). */
async function freshRoom(): Promise<string> {
  const room = `matrix-${++roomCount}`;
  await createRoom(server.baseUrl, ownerToken, room);
  await request(server.baseUrl).put(`/v1/rooms/${room}/members/me`).set(bearer(tokens.member)).expect(201);
  return room;
}

/** What a cell must leave behind: how far lastSeq and memberCount moved, and the type stored, if any. */
interface Effect {
  readonly seq: number;
  readonly members: number;
  readonly stored?: { readonly type: string; readonly sender: string };
}
const NOTHING: Effect = { seq: 0, members: 0 };

async function expectEffect(room: string, before: RoomState, effect: Effect): Promise<void> {
  const after = await roomState(server, serviceToken, room);
  expect({ seq: after.lastSeq - before.lastSeq, members: after.memberCount - before.memberCount }).toEqual({
    seq: effect.seq,
    members: effect.members,
  });
  if (effect.stored) expect(await lastEvent(server, serviceToken, room)).toMatchObject(effect.stored);
}

describe('REST', () => {
  type Call = { method: 'get' | 'put' | 'post' | 'delete'; path: string; body?: object };
  const REST_ACTIONS = {
    'read room': (room: string): Call => ({ method: 'get', path: `/v1/rooms/${room}` }),
    'list members': (room: string): Call => ({ method: 'get', path: `/v1/rooms/${room}/members` }),
    'read history': (room: string): Call => ({ method: 'get', path: `/v1/rooms/${room}/events` }),
    'read presence': (room: string): Call => ({ method: 'get', path: `/v1/rooms/${room}/presence` }),
    join: (room: string): Call => ({ method: 'put', path: `/v1/rooms/${room}/members/me` }),
    publish: (room: string): Call => ({
      method: 'post',
      path: `/v1/rooms/${room}/events`,
      body: { type: 'chat.message', data: { text: 'hi' } },
    }),
    'publish member.joined': (room: string): Call => ({
      method: 'post',
      path: `/v1/rooms/${room}/events`,
      body: { type: 'member.joined', data: { userId: 'mallory', name: 'Mallory' } },
    }),
    'publish presence.update': (room: string): Call => ({
      method: 'post',
      path: `/v1/rooms/${room}/events`,
      body: { type: 'presence.update', data: { online: true } },
    }),
    'publish a batch': (room: string): Call => ({
      method: 'post',
      path: '/v1/events',
      body: { events: [{ room, type: 'chat.message', data: { text: 'hi' } }] },
    }),
    'publish a batch with member.joined': (room: string): Call => ({
      method: 'post',
      path: '/v1/events',
      body: { events: [{ room, type: 'member.joined', data: { userId: 'mallory', name: 'Mallory' } }] },
    }),
    leave: (room: string): Call => ({ method: 'delete', path: `/v1/rooms/${room}/members/me` }),
  };
  type RestAction = keyof typeof REST_ACTIONS;

  interface Outcome {
    readonly status: number;
    readonly code?: string;
    readonly effect: Effect;
  }
  const unauthenticated: Outcome = { status: 401, code: 'unauthenticated', effect: NOTHING };
  const forbidden: Outcome = { status: 403, code: 'forbidden', effect: NOTHING };
  const allowed = (status: number, effect: Effect = NOTHING): Outcome => ({ status, effect });
  const anonymous = { 'no token': unauthenticated, 'bad token': unauthenticated };
  const reserved = { ...anonymous, 'non-member': forbidden, member: forbidden, service: forbidden };
  const event = (type: string, actor: ConnectedActor, members = 0): Effect => ({
    seq: 1,
    members,
    stored: { type, sender: USER_OF[actor] },
  });

  const MATRIX: Record<RestAction, Record<Actor, Outcome>> = {
    'read room': { ...anonymous, 'non-member': allowed(200), member: allowed(200), service: allowed(200) },
    'list members': { ...anonymous, 'non-member': forbidden, member: allowed(200), service: allowed(200) },
    'read history': { ...anonymous, 'non-member': forbidden, member: allowed(200), service: allowed(200) },
    'read presence': { ...anonymous, 'non-member': forbidden, member: allowed(200), service: allowed(200) },
    join: {
      ...anonymous,
      'non-member': allowed(201, event('member.joined', 'non-member', 1)),
      member: allowed(200),
      // docs/protocol.md: a service may call PUT .../members/me, and is then a member like anyone else.
      service: allowed(201, event('member.joined', 'service', 1)),
    },
    publish: {
      ...anonymous,
      'non-member': forbidden,
      member: allowed(201, event('chat.message', 'member')),
      service: allowed(201, event('chat.message', 'service')),
    },
    'publish member.joined': reserved,
    // docs/protocol.md: batches are for backends.
    'publish a batch': {
      ...anonymous,
      'non-member': forbidden,
      member: forbidden,
      service: allowed(201, event('chat.message', 'service')),
    },
    'publish a batch with member.joined': reserved,
    'publish presence.update': reserved,
    leave: {
      ...anonymous,
      'non-member': allowed(204),
      member: allowed(204, event('member.left', 'member', -1)),
      service: allowed(204),
    },
  };

  /** What a 200 read must show, so that an allowed read is a real read. */
  const READ_SHAPES: Partial<Record<RestAction, (room: string) => object>> = {
    'read room': (room) => ({ id: room, lastSeq: 1, memberCount: 2 }),
    'list members': () => ({ items: [{ userId: USER_OF.member }, { userId: OWNER }], nextCursor: null }),
    'read history': (room) => ({ items: [{ room, seq: 1, type: 'member.joined' }], firstSeq: 1 }),
    'read presence': () => ({ items: [] }),
  };

  const cells = Object.entries(MATRIX).flatMap(([action, row]) =>
    Object.entries(row).map(([actor, outcome]) => ({
      action: action as RestAction,
      actor: actor as Actor,
      outcome,
    })),
  );

  it.each(cells)('$actor: $action → $outcome.status', async ({ action, actor, outcome }) => {
    const room = await freshRoom();
    const before = await roomState(server, serviceToken, room);
    const call = REST_ACTIONS[action](room);
    const pending = request(server.baseUrl)[call.method](call.path).set(bearer(tokens[actor]));
    const response = await (call.body ? pending.send(call.body) : pending);
    expect(response.status, JSON.stringify(response.body)).toBe(outcome.status);
    if (outcome.code) expect(response.body.error.code).toBe(outcome.code);
    const shape = READ_SHAPES[action];
    if (outcome.status === 200 && shape) expect(response.body).toMatchObject(shape(room));
    await expectEffect(room, before, outcome.effect);
  });

  it('has a cell for every actor and action', () => {
    expect(cells).toHaveLength(5 * Object.keys(REST_ACTIONS).length);
  });
});

describe('WebSocket', () => {
  it.each<[Actor, () => string[]]>([
    ['no token', () => ['roomcast.v1']],
    ['bad token', () => ['roomcast.v1', `roomcast.token.${tokens['bad token']}`]],
  ])('%s: the upgrade is refused with 401, so no op can run', async (_actor, protocols) => {
    const before = server.app.connections.counts().clients;
    expect((await refusedUpgrade(server.wsUrl, protocols())).status).toBe(401);
    expect(server.app.connections.counts().clients).toBe(before);
  });

  /** An op, whether the connection joins the room first, and where delivery is checked afterwards. */
  interface WsCell {
    readonly actor: ConnectedActor;
    readonly op: string;
    readonly frame: (room: string) => Record<string, unknown>;
    readonly isJoinedFirst?: boolean;
    readonly reply: 'ok' | 'forbidden' | 'not_subscribed';
    readonly effect: Effect;
    /** After the op: does this connection still receive `chat.message` events of the room? */
    readonly receives?: boolean;
  }

  const publish = (type: string) => (room: string) => ({ op: 'publish', room, type, data: { text: 'hi' } });
  const join = (room: string) => ({ op: 'join', room });
  const leave = (room: string) => ({ op: 'leave', room });
  const unsubscribe = (room: string) => ({ op: 'unsubscribe', room });
  const filterOut = (room: string) => ({ op: 'filter', room, types: ['only.this'] });
  const ACTORS: ConnectedActor[] = ['non-member', 'member', 'service'];
  const joined = (actor: ConnectedActor): Effect => ({
    seq: 1,
    members: 1,
    stored: { type: 'member.joined', sender: USER_OF[actor] },
  });

  const WS_CELLS: WsCell[] = [
    { actor: 'non-member', op: 'join', frame: join, reply: 'ok', effect: joined('non-member'), receives: true },
    { actor: 'member', op: 'join', frame: join, reply: 'ok', effect: NOTHING, receives: true },
    // A service's join subscribes without making it a member: no member.joined.
    { actor: 'service', op: 'join', frame: join, reply: 'ok', effect: NOTHING, receives: true },
    { actor: 'non-member', op: 'publish', frame: publish('chat.message'), reply: 'forbidden', effect: NOTHING },
    ...(['member', 'service'] as const).map((actor): WsCell => ({
      actor,
      op: 'publish',
      frame: publish('chat.message'),
      reply: 'ok',
      effect: { seq: 1, members: 0, stored: { type: 'chat.message', sender: USER_OF[actor] } },
    })),
    ...ACTORS.flatMap((actor) =>
      ['member.left', 'presence.typing'].map((type): WsCell => ({
        actor,
        op: `publish ${type}`,
        frame: publish(type),
        reply: 'forbidden',
        effect: NOTHING,
      })),
    ),
    { actor: 'non-member', op: 'leave', frame: leave, reply: 'ok', effect: NOTHING },
    {
      actor: 'member',
      op: 'leave',
      frame: leave,
      reply: 'ok',
      effect: { seq: 1, members: -1, stored: { type: 'member.left', sender: USER_OF.member } },
    },
    { actor: 'service', op: 'leave', frame: leave, reply: 'ok', effect: NOTHING },
    ...ACTORS.flatMap((actor): WsCell[] => [
      { actor, op: 'unsubscribe (not subscribed)', frame: unsubscribe, reply: 'not_subscribed', effect: NOTHING },
      { actor, op: 'filter (not subscribed)', frame: filterOut, reply: 'not_subscribed', effect: NOTHING },
    ]),
    ...(['member', 'service'] as const).flatMap((actor): WsCell[] => [
      {
        actor,
        op: 'unsubscribe (subscribed)',
        frame: unsubscribe,
        isJoinedFirst: true,
        reply: 'ok',
        effect: NOTHING,
        receives: false,
      },
      {
        actor,
        op: 'filter (subscribed)',
        frame: filterOut,
        isJoinedFirst: true,
        reply: 'ok',
        effect: NOTHING,
        receives: false,
      },
    ]),
  ];

  /**
   * Which of two `chat.message` events `client` received: one published by the owner over REST,
   * then one published on this connection. A connection that receives the room gets its own event
   * before the ok reply, and the owner's before that, so after the ok nothing more can arrive.
   */
  async function receivedChats(client: WsTestClient, room: string): Promise<number[]> {
    const sent = await request(server.baseUrl)
      .post(`/v1/rooms/${room}/events`)
      .set(bearer(ownerToken))
      .send({ type: 'chat.message', data: { text: 'probe' } })
      .expect(201);
    const own = await client.request({ op: 'publish', room, type: 'chat.message', data: { text: 'own' } });
    expect(own).toMatchObject({ op: 'ok', seq: sent.body.seq + 1 });
    return client.events(room).map((event) => event.seq as number);
  }

  it.each(WS_CELLS)('$actor: $op → $reply', async (cell) => {
    const room = await freshRoom();
    const client = await WsTestClient.connect(server.wsUrl, tokens[cell.actor]!);
    try {
      if (cell.isJoinedFirst) expect(await client.request(join(room))).toMatchObject({ op: 'ok', room });
      const before = await roomState(server, serviceToken, room);
      const reply = await client.request(cell.frame(room));
      if (cell.reply === 'ok') expect(reply, JSON.stringify(reply)).toMatchObject({ op: 'ok' });
      else expect(reply).toMatchObject({ op: 'error', code: cell.reply });
      await expectEffect(room, before, cell.effect);
      if (cell.receives !== undefined) {
        const { lastSeq } = await roomState(server, serviceToken, room);
        expect(await receivedChats(client, room)).toEqual(cell.receives ? [lastSeq + 1, lastSeq + 2] : []);
      }
    } finally {
      await client.close();
    }
  });
});
