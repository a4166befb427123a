import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PgOccupancyLedger } from '../../src/database/pg-occupancy-ledger.js';
import { PgUnitOfWork } from '../../src/database/pg-unit-of-work.js';
import { PgWebhookOutbox } from '../../src/database/pg-webhook-outbox.js';
import type { UnitOfWork } from '../../src/domain/ports/repositories.js';
import type { WebhookMessage } from '../../src/domain/webhook.js';
import { WebhookTypes } from '../../src/domain/webhook.js';
import { type TestDatabase, onBothDatabases, postgresTestDatabase } from '../support/databases.js';
import { gate } from '../support/gate.js';
import { serviceUrl, skipReason } from '../support/services.js';

const postgresUrl = serviceUrl('DATABASE_URL');

onBothDatabases('the webhook outbox', (open) => {
  let database: TestDatabase;
  let uow: UnitOfWork;
  let outbox: PgWebhookOutbox;

  let test = 0;

  beforeAll(async () => {
    database = await open();
    uow = new PgUnitOfWork(database.db);
    outbox = new PgWebhookOutbox(database.db);
  });
  afterAll(() => database?.dispose());
  // One database for the file: each test starts with an empty outbox, and rooms of its own.
  beforeEach(async () => {
    test += 1;
    await database.db.exec('DELETE FROM webhook_outbox; DELETE FROM room_occupancy;');
  });

  /** The test's room `id` (named `t<test>-<id>` in the database). */
  const room = (id: string) => uow.repos.rooms.create({ id: roomId(id), name: id, capacity: 5, epoch: 'e' });
  const roomId = (id: string) => `t${test}-${id}`;
  const publish = (id: string, type: string, data: unknown = {}) =>
    uow.repos.events.append({ room: roomId(id), type, data, sender: 'ann' });
  /** Every message waiting, in delivery order, claimed and removed. */
  const drain = async () => {
    const drained: WebhookMessage[] = [];
    for (let claimed = await claimAll(); claimed.length > 0; claimed = await claimAll()) {
      drained.push(...claimed);
      await Promise.all(claimed.map((message) => outbox.remove(message)));
    }
    return drained;
  };
  /** Everything waiting, in claim order, without leasing it for long. */
  const claimAll = async (limit = 100) => outbox.claim(limit, 60_000);
  const typesOf = (messages: readonly WebhookMessage[]) =>
    messages.map((message) => `${message.room.slice(roomId('').length)}:${message.type}`);

  it('records, with each fact, the types it is told to and nothing else', async () => {
    expect(await outbox.record(WebhookTypes.parse('room.created,member.*,chat_x.*'))).toBe(true);
    expect(await outbox.record(WebhookTypes.parse('room.created,member.*,chat_x.*'))).toBe(false);
    await room('a');
    await publish('a', 'member.joined', { userId: 'bob', name: 'Bob' });
    await publish('a', 'chat_x.line', 'kept');
    await publish('a', 'chatyx.line', 'not matched: _ is no wildcard');
    await publish('a', 'room.vacated', 'forged: a server type is never taken from a publisher');
    await publish('a', 'other', 1);
    expect(await outbox.depth()).toBe(3);
    expect(await outbox.record(undefined)).toBe(true);
    await room('b');
    await publish('b', 'member.joined');
    expect(typesOf(await drain())).toEqual(['a:room.created', 'a:member.joined', 'a:chat_x.line']);
  });

  it('copies the stored event into the message, which outlives history trimming', async () => {
    await outbox.record(WebhookTypes.parse('chat.*'));
    await room('a');
    const stored = await publish('a', 'chat.line', { text: 'hi' });
    await uow.repos.events.trim({ maxEventsPerRoom: 0, maxAgeSeconds: undefined });
    const [message] = await claimAll();
    expect(message).toMatchObject({ room: roomId('a'), type: 'chat.line', attempts: 1, occurredAt: stored.at });
    expect(message!.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(message!.event).toMatchObject({ seq: 1, data: { text: 'hi' }, dataJson: '{"text":"hi"}', sender: 'ann' });
  });

  it("claims only each room's oldest message, only when due, and not again while leased", async () => {
    await outbox.record(WebhookTypes.parse('*'));
    await room('a');
    await room('b');
    await publish('a', 'one');
    await publish('b', 'one');
    const first = await outbox.claim(10, 60_000);
    expect(typesOf(first)).toEqual(['a:room.created', 'b:room.created']);
    expect(await outbox.claim(10, 60_000)).toEqual([]);

    const [a, b] = first as [WebhookMessage, WebhookMessage];
    await outbox.remove(a);
    await outbox.retryIn(b, 60_000);
    // Room b's next message waits behind its first, whose retry is not due.
    expect(typesOf(await outbox.claim(10, 60_000))).toEqual(['a:one']);
    await outbox.release({ ...b, attempts: b.attempts + 1 }); // a stale claim changes nothing
    expect(await outbox.claim(10, 60_000)).toEqual([]);
    await outbox.release(b);
    expect(await outbox.claim(10, 60_000)).toMatchObject([{ room: roomId('b'), type: 'room.created', attempts: 1 }]);
  });

  it('numbers a batch of many rooms in each room’s seq order', async () => {
    await outbox.record(WebhookTypes.parse('chat.*'));
    await room('a');
    await room('b');
    await uow.repos.events.appendAll(
      ['b', 'a', 'b', 'a', 'b'].map((id, n) => ({ room: roomId(id), type: 'chat.line', data: n, sender: 'x' })),
    );
    const seqs = (await drain()).map((message) => `${typesOf([message])[0]}${message.event!.seq}`);
    expect(seqs.filter((entry) => entry.startsWith('a'))).toEqual(['a:chat.line1', 'a:chat.line2']);
    expect(seqs.filter((entry) => entry.startsWith('b'))).toEqual(['b:chat.line1', 'b:chat.line2', 'b:chat.line3']);
  });

  it('never hands one message, or two of one room, to concurrent claims', async () => {
    await outbox.record(WebhookTypes.parse('chat.*'));
    const rooms = ['r0', 'r1', 'r2', 'r3'];
    for (const id of rooms) await room(id);
    for (let n = 0; n < 10; n += 1) for (const id of rooms) await publish(id, 'chat.line', n);
    const delivered: string[] = [];
    const claimer = async () => {
      for (let idle = 0; idle < 20;) {
        const claimed = await outbox.claim(2, 60_000);
        idle = claimed.length === 0 ? idle + 1 : 0;
        for (const message of claimed) {
          delivered.push(`${typesOf([message])[0]!.split(':')[0]}:${message.event!.seq}`);
          await outbox.remove(message);
        }
      }
    };
    await Promise.all([claimer(), claimer(), claimer()]);
    expect(delivered).toHaveLength(40);
    expect(new Set(delivered).size).toBe(40);
    for (const id of rooms) {
      const seqs = delivered.filter((entry) => entry.startsWith(`${id}:`)).map((entry) => Number(entry.split(':')[1]));
      expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }
  });

  it('settles occupancy once however many settle it at once, and records the change when its type is sent', async () => {
    await outbox.record(WebhookTypes.parse('room.occupied'));
    const ledger = new PgOccupancyLedger(database.db, WebhookTypes.parse('room.occupied'));
    await room('a');
    const changes = await Promise.all(Array.from({ length: 8 }, () => ledger.settle(roomId('a'), async () => true)));
    expect(changes.filter((change) => change !== null)).toEqual(['room.occupied']);
    expect(await ledger.occupiedRooms()).toEqual([roomId('a')]);
    expect(await ledger.settle(roomId('a'), async () => false)).toBe('room.vacated');
    expect(await ledger.occupiedRooms()).toEqual([]);
    // room.vacated is not sent here: the change is recorded, no message.
    expect(typesOf(await claimAll())).toEqual(['a:room.occupied']);
  });

  it("places an occupancy change among the room's events where it was recorded", async () => {
    await outbox.record(WebhookTypes.parse('room.occupied,chat.*'));
    const ledger = new PgOccupancyLedger(database.db, WebhookTypes.parse('room.occupied,chat.*'));
    await room('a');
    await publish('a', 'chat.line', 1);
    await publish('a', 'chat.line', 2);
    await ledger.settle(roomId('a'), async () => true);
    await publish('a', 'chat.line', 3);
    const order = (await drain()).map((message) => (message.event ? `seq ${message.event.seq}` : message.type));
    expect(order).toEqual(['seq 1', 'seq 2', 'room.occupied', 'seq 3']);
  });
});

describe.skipIf(!postgresUrl)(
  `recording new webhook types on a busy PostgreSQL ${postgresUrl ? '' : skipReason('DATABASE_URL')}`,
  () => {
    it('waits for the inserts under way without holding up the others, then records', async () => {
      const database = await postgresTestDatabase(postgresUrl!);
      try {
        const uow = new PgUnitOfWork(database.db);
        await uow.repos.rooms.create({ id: 'busy', name: 'busy', capacity: 5, epoch: 'e' });
        const held = gate<void>();
        // A transaction that has stored an event and not committed yet holds its table lock.
        const open = uow.run(async (repos) => {
          await repos.events.append({ room: 'busy', type: 'chat.line', data: 1, sender: 'x' });
          await held.wait();
        });
        await held.started;
        const recording = new PgWebhookOutbox(database.db).record(WebhookTypes.parse('chat.*'));
        // Meanwhile other publishes go through: the recording gives its locks up between tries.
        await uow.repos.rooms.create({ id: 'other', name: 'other', capacity: 5, epoch: 'e' });
        await uow.repos.events.append({ room: 'other', type: 'chat.line', data: 2, sender: 'x' });
        held.resolve();
        await open;
        expect(await recording).toBe(true);
        await uow.repos.events.append({ room: 'busy', type: 'chat.line', data: 3, sender: 'x' });
        expect(await new PgWebhookOutbox(database.db).depth()).toBe(1);
      } finally {
        await database.dispose();
      }
    });
  },
);
