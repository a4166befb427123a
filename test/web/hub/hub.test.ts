import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PresenceChange } from '../../../src/domain/ports/presence.js';
import { LocalPresence } from '../../../src/local/local-presence.js';
import { type HubPresence, Hub } from '../../../src/web/hub/hub.js';
import { Frame } from '../../../src/web/ws/codec.js';
import { FakeHubClient } from '../../support/fakes/fake-hub-client.js';
import { roomEvent as event, person } from '../../support/fakes/fixtures.js';
import {
  HUB_MODEL_CLIENTS,
  HUB_MODEL_ROOMS,
  type HubCommand,
  HubModel,
  TYPED_FILTER,
  hubCommand,
} from '../../support/fakes/hub-model.js';

/** A Hub for which any failing command fails the test; `presence` hears who counts in which room. */
function newHub(presence?: HubPresence): Hub {
  return new Hub(
    (error) => {
      throw error;
    },
    Number.POSITIVE_INFINITY,
    presence,
  );
}

function hubWith(...userIds: string[]): {
  hub: Hub;
  clients: FakeHubClient[];
  presence: LocalPresence;
  announced: string[];
  snapshotsWanted: string[];
} {
  const announced: string[] = [];
  const snapshotsWanted: string[] = [];
  const presence = new LocalPresence((error) => {
    throw error;
  });
  presence.onChange((room, user, change: PresenceChange) => announced.push(`${room}:${user.id}:${change}`));
  const hub = newHub({
    connected: (room, user) => presence.connected(room, user),
    disconnected: (room, user) => presence.disconnected(room, user),
    snapshotWanted: (room) => snapshotsWanted.push(room),
  });
  const clients = userIds.map((id) => new FakeHubClient(person(id)));
  clients.forEach((client) => hub.register(client));
  return { hub, clients, presence, announced, snapshotsWanted };
}

/** Subscribes, counts in presence and goes live at once, as a join does after reading the room's last seq. */
function join(
  hub: Hub,
  client: FakeHubClient,
  room: string,
  afterSeq = 0,
  types: ReadonlySet<string> | null = null,
): void {
  hub.subscribe(client, room, types);
  hub.countPresent(client, room);
  hub.goLive(client, room, afterSeq);
}

const EMPTY = { clients: 0, subscriptions: 0, rooms: 0 };

describe('Hub delivery', () => {
  it('holds a new subscription, then sends only the held events after the released seq', () => {
    const {
      hub,
      clients: [ann],
    } = hubWith('ann');
    hub.subscribe(ann!, 'r', null);
    [1, 2, 3].forEach((seq) => hub.push(event('r', seq)));
    expect(ann!.frames).toEqual([]);

    hub.goLive(ann!, 'r', 2);
    hub.push(event('r', 4));

    expect(ann!.received).toEqual(['r:3', 'r:4']);
    expect(ann!.events[0]).toEqual({
      op: 'event',
      room: 'r',
      seq: 3,
      type: 'chat',
      data: { seq: 3 },
      sender: 'ann',
      at: '2024-01-01T00:00:03.000Z',
    });
  });

  it('delivers live events in push order exactly once, a repeated seq included', () => {
    const {
      hub,
      clients: [ann],
    } = hubWith('ann');
    hub.subscribe(ann!, 'r', null);
    hub.push(event('r', 1));
    hub.push(event('r', 1));
    hub.goLive(ann!, 'r', 0);
    [2, 2, 3, 3, 4].forEach((seq) => hub.push(event('r', seq)));
    expect(ann!.received).toEqual(['r:1', 'r:2', 'r:3', 'r:4']);
  });

  it('sends each room only to its subscribers', () => {
    const {
      hub,
      clients: [ann, bob],
    } = hubWith('ann', 'bob');
    join(hub, ann!, 'a');
    join(hub, bob!, 'b');
    hub.push(event('a', 1));
    hub.push(event('b', 1));
    hub.push(event('nobody', 1));
    expect(ann!.received).toEqual(['a:1']);
    expect(bob!.received).toEqual(['b:1']);
  });

  it('shares one encoded frame among all recipients of a push', () => {
    const { hub, clients } = hubWith('ann', 'bob', 'carl');
    clients.forEach((client) => join(hub, client, 'r'));
    hub.push(event('r', 1));
    const [first, ...rest] = clients.map((client) => client.frames[0]);
    expect(first).toBeInstanceOf(Frame);
    rest.forEach((frame) => expect(frame).toBe(first));
  });

  it('filters by type, held and live, and takes a new filter mid-stream', () => {
    const {
      hub,
      clients: [ann],
    } = hubWith('ann');
    hub.subscribe(ann!, 'r', new Set(['chat']));
    hub.push(event('r', 1, 'chat'));
    hub.push(event('r', 2, 'typing'));
    hub.goLive(ann!, 'r', 0);
    hub.push(event('r', 3, 'typing'));
    hub.push(event('r', 4, 'chat'));
    hub.setFilter(ann!, 'r', new Set(['typing']));
    hub.push(event('r', 5, 'chat'));
    hub.push(event('r', 6, 'typing'));
    hub.setFilter(ann!, 'r', null);
    hub.push(event('r', 7, 'chat'));
    hub.push(event('r', 8, 'other'));
    expect(ann!.received).toEqual(['r:1', 'r:4', 'r:6', 'r:7', 'r:8']);
  });

  it('replaces a subscription on a second subscribe: held again, one subscription', () => {
    const {
      hub,
      clients: [ann],
    } = hubWith('ann');
    join(hub, ann!, 'r');
    hub.push(event('r', 1));
    hub.subscribe(ann!, 'r', null);
    hub.push(event('r', 2));
    expect(ann!.received).toEqual(['r:1']);
    expect(hub.counts()).toEqual({ clients: 1, subscriptions: 1, rooms: 1 });
    hub.goLive(ann!, 'r', 1);
    expect(ann!.received).toEqual(['r:1', 'r:2']);
  });
});

describe('Hub subscriptions', () => {
  it('stops a room on unsubscribe and keeps the others', () => {
    const {
      hub,
      clients: [ann],
    } = hubWith('ann');
    join(hub, ann!, 'a');
    join(hub, ann!, 'b');
    hub.unsubscribe(ann!, 'a');
    hub.unsubscribe(ann!, 'never-subscribed');
    hub.push(event('a', 1));
    hub.push(event('b', 1));
    expect(ann!.received).toEqual(['b:1']);
    expect(hub.isSubscribed(ann!, 'a')).toBe(false);
    expect(hub.subscriptionsOf(ann!)).toBe(1);
    expect(hub.counts()).toEqual({ clients: 1, subscriptions: 1, rooms: 1 });
  });

  it("evicts only that user's subscriptions to that room, on every connection", () => {
    const {
      hub,
      clients: [ann1, ann2, bob],
    } = hubWith('ann', 'ann', 'bob');
    [ann1!, ann2!, bob!].forEach((client) => join(hub, client, 'r'));
    join(hub, ann1!, 's');
    hub.evict('r', 'ann');
    hub.evict('unknown-room', 'ann');
    hub.push(event('r', 1));
    hub.push(event('s', 1));
    expect(ann1!.received).toEqual(['s:1']);
    expect(ann2!.received).toEqual([]);
    expect(bob!.received).toEqual(['r:1']);
    expect(hub.counts()).toEqual({ clients: 3, subscriptions: 2, rooms: 2 });
  });

  it('tells each client it evicts which room it lost, and no other client', () => {
    const {
      hub,
      clients: [ann1, ann2, bob],
    } = hubWith('ann', 'ann', 'bob');
    [ann1!, bob!].forEach((client) => join(hub, client, 'r'));
    join(hub, ann2!, 's');
    hub.evict('r', 'ann');
    expect([ann1!.evictions, ann2!.evictions, bob!.evictions]).toEqual([['r'], [], []]);
  });

  it('forgets everything of an unregistered client and leaves no empty room behind', async () => {
    const {
      hub,
      presence,
      clients: [ann, bob],
    } = hubWith('ann', 'bob');
    join(hub, ann!, 'a');
    join(hub, ann!, 'b');
    join(hub, bob!, 'b');
    hub.unregister(ann!);
    expect(hub.counts()).toEqual({ clients: 1, subscriptions: 1, rooms: 1 });
    expect(await presence.inRoom('a')).toEqual([]);
    hub.unregister(bob!);
    hub.unregister(bob!);
    hub.unregister(new FakeHubClient(person('ghost')));
    expect(hub.counts()).toEqual(EMPTY);
    hub.push(event('b', 1));
    expect([...ann!.frames, ...bob!.frames]).toEqual([]);
  });

  it('ignores a subscribe for a client it does not hold', () => {
    const hub = newHub();
    const stranger = new FakeHubClient(person('ann'));
    join(hub, stranger, 'r');
    hub.push(event('r', 1));
    expect(stranger.frames).toEqual([]);
    expect(hub.isSubscribed(stranger, 'r')).toBe(false);
    expect(hub.counts()).toEqual(EMPTY);
  });

  it('aggregates presence by user, counting live connections, and announces first and last ones', async () => {
    const {
      hub,
      presence,
      announced,
      clients: [ann1, ann2, bob, carl],
    } = hubWith('ann', 'ann', 'bob', 'carl');
    [ann1!, ann2!, bob!].forEach((client) => join(hub, client, 'r'));
    join(hub, carl!, 's');
    hub.subscribe(carl!, 'r', null);
    const byId = (users: { userId: string }[]) => [...users].sort((a, b) => a.userId.localeCompare(b.userId));
    // Carl's join of r is still held (not yet accepted): he is not counted there.
    expect(byId(await presence.inRoom('r'))).toEqual([
      { userId: 'ann', name: 'Ann', connections: 2 },
      { userId: 'bob', name: 'Bob', connections: 1 },
    ]);
    hub.unsubscribe(ann2!, 'r');
    hub.subscribe(bob!, 'r', new Set(['chat']));
    expect(byId(await presence.inRoom('r'))).toEqual([
      { userId: 'ann', name: 'Ann', connections: 1 },
      { userId: 'bob', name: 'Bob', connections: 1 },
    ]);
    expect(await presence.inRoom('s')).toEqual([{ userId: 'carl', name: 'Carl', connections: 1 }]);
    expect(await presence.inRoom('empty')).toEqual([]);
    hub.unsubscribe(carl!, 'r');
    hub.evict('r', 'ann');
    hub.unregister(bob!);
    // Changes are told after the Hub command that noticed them, never inside it.
    expect(announced).toEqual(['r:ann:joined', 'r:bob:joined', 's:carl:joined']);
    await Promise.resolve();
    expect(announced).toEqual(['r:ann:joined', 'r:bob:joined', 's:carl:joined', 'r:ann:left', 'r:bob:left']);
  });

  it('ticks every client once on keepAliveAll, and closes every client on closeAll', () => {
    const { hub, clients } = hubWith('ann', 'bob');
    clients.forEach((client) => {
      client.onClose = () => hub.unregister(client);
    });
    hub.keepAliveAll();
    hub.closeAll(1001, 'shutdown');
    expect(clients.map((client) => client.keepAlives)).toEqual([1, 1]);
    expect(clients.map((client) => client.closes)).toEqual([
      [{ code: 1001, reason: 'shutdown' }],
      [{ code: 1001, reason: 'shutdown' }],
    ]);
    expect(hub.counts()).toEqual(EMPTY);
  });
});

describe('Hub commands issued during a fan-out', () => {
  it('applies an unregister from inside a fan-out after it, and the others still get the event', () => {
    const {
      hub,
      clients: [ann, bob, carl],
    } = hubWith('ann', 'bob', 'carl');
    [ann!, bob!, carl!].forEach((client) => join(hub, client, 'r'));
    bob!.onEnqueue = () => hub.unregister(bob!);
    hub.push(event('r', 1));
    expect([ann!, bob!, carl!].map((client) => client.received)).toEqual([['r:1'], ['r:1'], ['r:1']]);
    expect(hub.counts()).toEqual({ clients: 2, subscriptions: 2, rooms: 1 });
    hub.push(event('r', 2));
    expect(bob!.received).toEqual(['r:1']);
    expect(carl!.received).toEqual(['r:1', 'r:2']);
  });

  it('runs a push issued inside a fan-out after it, so every client sees both in order', () => {
    const {
      hub,
      clients: [ann, bob, carl],
    } = hubWith('ann', 'bob', 'carl');
    [ann!, bob!, carl!].forEach((client) => join(hub, client, 'r'));
    let hasEchoed = false;
    ann!.onEnqueue = () => {
      if (hasEchoed) return;
      hasEchoed = true;
      hub.push(event('r', 2));
    };
    hub.push(event('r', 1));
    [ann!, bob!, carl!].forEach((client) => expect(client.received).toEqual(['r:1', 'r:2']));
  });

  it('applies an unsubscribe of another client from inside a fan-out after the current event', () => {
    const {
      hub,
      clients: [ann, bob],
    } = hubWith('ann', 'bob');
    [ann!, bob!].forEach((client) => join(hub, client, 'r'));
    ann!.onEnqueue = () => hub.unsubscribe(bob!, 'r');
    hub.push(event('r', 1));
    hub.push(event('r', 2));
    expect(ann!.received).toEqual(['r:1', 'r:2']);
    expect(bob!.received).toEqual(['r:1']);
  });
});

describe('Hub property', () => {
  it('gives each client exactly the events pushed to its rooms while subscribed, in seq order, never twice', () => {
    let delivered = 0;
    fc.assert(
      fc.property(fc.array(hubCommand, { minLength: 10, maxLength: 80, size: 'max' }), (steps) => {
        const hub = newHub();
        const clients = Array.from(
          { length: HUB_MODEL_CLIENTS },
          (_, index) => new FakeHubClient(person(`user${index}`)),
        );
        clients.forEach((each) => hub.register(each));
        const model = new HubModel();
        for (const step of steps) {
          runStep(hub, clients, model, step);
          model.apply(step);
          expect(hub.counts()).toEqual(model.counts());
        }
        clients.forEach((each, index) => {
          expect(each.received).toEqual(model.expected[index]);
          for (const roomId of HUB_MODEL_ROOMS) {
            const seqs = each.events.filter((frame) => frame.room === roomId).map((frame) => frame.seq);
            seqs.slice(1).forEach((seq, i) => expect(seq).toBeGreaterThan(seqs[i]!));
          }
          delivered += each.frames.length;
        });
        clients.forEach((each) => hub.unregister(each));
        expect(hub.counts()).toEqual(EMPTY);
      }),
      { numRuns: 300 },
    );
    // The workload must actually deliver, or the property says nothing.
    expect(delivered).toBeGreaterThan(600);
  });
});

function runStep(hub: Hub, clients: FakeHubClient[], model: HubModel, step: HubCommand): void {
  if (step.kind === 'push') {
    hub.push(model.eventFor(step));
    return;
  }
  const target = clients[step.client]!;
  const roomId = HUB_MODEL_ROOMS[step.room]!;
  if (step.kind === 'subscribe') hub.subscribe(target, roomId, step.isTyped ? TYPED_FILTER : null);
  if (step.kind === 'release') hub.goLive(target, roomId, model.releaseAfter(step));
  if (step.kind === 'join') join(hub, target, roomId, model.lastSeqOf(roomId), step.isTyped ? TYPED_FILTER : null);
  if (step.kind === 'unsubscribe') hub.unsubscribe(target, roomId);
  if (step.kind === 'unregister') hub.unregister(target);
  if (step.kind === 'register') hub.register(target);
}

describe('Hub failures', () => {
  it('reports a client that throws during a fan-out, delivers to the others, and runs what was queued behind it', () => {
    const errors: unknown[] = [];
    const hub = new Hub((error) => errors.push(error));
    const broken = new FakeHubClient(person('ann'));
    const healthy = new FakeHubClient(person('bob'));
    [broken, healthy].forEach((client) => hub.register(client));
    join(hub, broken, 'r');
    join(hub, healthy, 'r');
    let hasThrown = false;
    broken.onEnqueue = () => {
      if (hasThrown) return;
      hasThrown = true;
      hub.push(event('r', 2));
      throw new Error('socket exploded');
    };
    expect(() => hub.push(event('r', 1))).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(healthy.received).toEqual(['r:1', 'r:2']);
  });
});

describe('Hub totals', () => {
  it('counts events pushed and event frames delivered, held ones included once released', () => {
    const { hub, clients } = hubWith('ann', 'bob');
    const [ann, bob] = clients;
    join(hub, ann!, 'r', 0, new Set(['a']));
    hub.subscribe(bob!, 'r', null);
    hub.push(event('r', 1, 'a'));
    hub.push(event('r', 2, 'b'));
    hub.push(event('other', 1));
    expect(hub.totals()).toEqual({ eventsPushed: 3, eventsDelivered: 1 });
    hub.goLive(bob!, 'r', 0);
    expect(hub.totals()).toEqual({ eventsPushed: 3, eventsDelivered: 3 });
  });

  it('sums the bytes waiting for every client and finds the fullest', () => {
    const { hub, clients } = hubWith('ann', 'bob');
    clients[0]!.pendingBytes = 100;
    clients[1]!.pendingBytes = 400;
    expect(hub.queueDepth()).toEqual({ totalBytes: 500, maxBytes: 400 });
  });
});

describe('Hub held subscriptions', () => {
  it('closes a joiner as a slow consumer when what it holds passes the bound', () => {
    const hub = new Hub((error) => {
      throw error;
    }, 300);
    const ann = new FakeHubClient(person('ann'));
    hub.register(ann);
    hub.subscribe(ann, 'r', null);
    hub.push(event('r', 1));
    expect(ann.slowConsumerCloses).toEqual([]);
    for (let seq = 2; seq <= 10; seq += 1) hub.push(event('r', seq));
    expect(ann.slowConsumerCloses).toEqual(['too many events while joining']);
  });
});

describe('Hub presence frames', () => {
  const users = [{ userId: 'ann', name: 'Ann' }];
  const snapshot = { room: 'r', count: 1, users };
  const diff = { room: 'r', count: 1, joined: users, left: [] };
  const parsed = (client: FakeHubClient) => client.frames.map((frame) => JSON.parse(frame.payload.toString('utf8')));

  it('asks for a snapshot when a join goes live, sends it once, then only changes', () => {
    const {
      hub,
      snapshotsWanted,
      clients: [ann, bob],
    } = hubWith('ann', 'bob');
    join(hub, ann!, 'r');
    expect(snapshotsWanted).toEqual(['r']);
    hub.pushPresence({ snapshot });
    hub.pushPresence({ snapshot, change: diff });
    join(hub, bob!, 'r');
    hub.pushPresence({ snapshot, change: diff });
    expect(parsed(ann!)).toEqual([
      { op: 'presence', ...snapshot },
      { op: 'presence', ...diff },
      { op: 'presence', ...diff },
    ]);
    expect(parsed(bob!)).toEqual([{ op: 'presence', ...snapshot }]);
  });

  it('shares one encoded frame among the connections it goes to', () => {
    const {
      hub,
      clients: [ann, bob],
    } = hubWith('ann', 'bob');
    join(hub, ann!, 'r');
    join(hub, bob!, 'r');
    hub.pushPresence({ snapshot });
    expect(ann!.frames[0]).toBe(bob!.frames[0]);
  });

  it('sends nothing to a held join, to one that opted out, or to another room', () => {
    const {
      hub,
      clients: [ann, bob, carl],
    } = hubWith('ann', 'bob', 'carl');
    hub.subscribe(ann!, 'r', null);
    hub.subscribe(bob!, 'r', null, false);
    hub.countPresent(bob!, 'r');
    hub.goLive(bob!, 'r', 0);
    join(hub, carl!, 's');
    hub.pushPresence({ snapshot, change: diff });
    expect([ann!.frames, bob!.frames, carl!.frames]).toEqual([[], [], []]);
  });

  it('drops presence for a connection whose queue is over half full, and asks for a snapshot for it', () => {
    const {
      hub,
      snapshotsWanted,
      clients: [ann],
    } = hubWith('ann');
    join(hub, ann!, 'r');
    hub.pushPresence({ snapshot });
    ann!.pendingBytes = ann!.queueLimit / 2 + 1;
    hub.pushPresence({ snapshot, change: diff });
    expect(snapshotsWanted).toEqual(['r', 'r']);
    ann!.pendingBytes = 0;
    hub.pushPresence({ snapshot, change: diff });
    expect(parsed(ann!)).toEqual([
      { op: 'presence', ...snapshot },
      { op: 'presence', ...snapshot },
    ]);
  });
});
