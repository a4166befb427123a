import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterServices, startCluster } from '../support/cluster.js';
import { postgresTestDatabase } from '../support/databases.js';
import { roomLastSeq } from '../support/delivery-subscriber.js';
import { createRoom, publishEvent } from '../support/rest.js';
import { serviceUrl, skipReason } from '../support/services.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

const postgresUrl = serviceUrl('DATABASE_URL');
const cluster = clusterServices();

let service: string;
beforeAll(async () => {
  service = await signToken('backend', { scope: 'service' });
});

/** Runs `work` in one transaction of the application's own connection; committed unless it throws, or `rollback`. */
async function inTransaction<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
  ending: 'COMMIT' | 'ROLLBACK' = 'COMMIT',
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query(ending);
    return result;
  } finally {
    await client.end();
  }
}

/** `SELECT roomcast_publish(...)` with these arguments as given (room, type, data as JSON text, sender?). */
const callPublish = (client: pg.Client, args: readonly unknown[]) => {
  const placeholders = args.map((_, i) => (i === 2 ? `$${i + 1}::jsonb` : `$${i + 1}`)).join(', ');
  return client.query<{ seq: string }>(`SELECT roomcast_publish(${placeholders}) AS seq`, [...args]);
};

const sqlPublish = async (client: pg.Client, room: string, type: string, data: unknown, sender?: string) => {
  const args = [room, type, JSON.stringify(data), ...(sender === undefined ? [] : [sender])];
  const { rows } = await callPublish(client, args);
  return Number(rows[0]!.seq);
};

describe.skipIf(!postgresUrl)(
  `publishing from SQL on one node ${postgresUrl ? '' : skipReason('DATABASE_URL')}`,
  () => {
    let server: TestServer;
    let url: string;

    beforeAll(async () => {
      server = await startTestServer({}, await postgresTestDatabase(postgresUrl!));
      url = server.database.url!;
    });
    afterAll(async () => {
      await server?.stop();
      await server?.database.dispose();
    });

    it('pushes an event stored in the application transaction only once it commits, with the seq the function returned', async () => {
      await createRoom(server.baseUrl, service, 'orders');
      await createRoom(server.baseUrl, service, 'side');
      const subscriber = await WsTestClient.connect(server.wsUrl, service);
      await subscriber.request({ op: 'join', room: 'orders' });
      await subscriber.request({ op: 'join', room: 'side' });

      const seq = await inTransaction(url, async (client) => {
        await client.query('CREATE TEMP TABLE app_orders (id int)');
        await client.query('INSERT INTO app_orders VALUES (1)');
        const stored = await sqlPublish(client, 'orders', 'order.created', { id: 1 });
        // While the transaction is open, another room's event goes through; the SQL one must not.
        await publishEvent(server.baseUrl, service, 'side', { type: 'marker', data: null });
        await subscriber.waitFor(() => subscriber.events('side').length === 1);
        expect(subscriber.events('orders')).toEqual([]);
        return stored;
      });

      const [pushed] = await subscriber.waitFor(
        () => subscriber.events('orders').length === 1 && subscriber.events('orders'),
      );
      expect(pushed).toMatchObject({
        op: 'event',
        room: 'orders',
        seq,
        type: 'order.created',
        data: { id: 1 },
        sender: 'sql',
      });
      await subscriber.close();
    });

    it('never pushes or keeps an event whose transaction rolls back: its seq goes to the next event', async () => {
      await createRoom(server.baseUrl, service, 'rolled');
      const subscriber = await WsTestClient.connect(server.wsUrl, service);
      await subscriber.request({ op: 'join', room: 'rolled' });
      const before = await roomLastSeq(server.baseUrl, service, 'rolled');

      const rolledBack = await inTransaction(url, (client) => sqlPublish(client, 'rolled', 'ghost', 1), 'ROLLBACK');
      const next = await inTransaction(url, (client) => sqlPublish(client, 'rolled', 'real', 2, 'billing'));

      expect(rolledBack).toBe(before + 1);
      expect(next).toBe(before + 1);
      await subscriber.waitFor(() => subscriber.events('rolled').length === 1);
      expect(subscriber.events('rolled').map((event) => [event.seq, event.type, event.sender])).toEqual([
        [next, 'real', 'billing'],
      ]);
      await subscriber.close();
    });

    it('refuses what the REST route refuses, with the documented SQLSTATE and message, storing nothing', async () => {
      await createRoom(server.baseUrl, service, 'strict');
      const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
      const cases: [string, unknown[], string, RegExp][] = [
        ['unknown room', ['nowhere', 'chat', '1'], 'P0002', /room 'nowhere' does not exist/],
        ['reserved type', ['strict', 'member.joined', '1'], '42501', /event type 'member.joined' is reserved/],
        ['reserved presence type', ['strict', 'presence.x', '1'], '42501', /is reserved/],
        ['bad type', ['strict', 'Bad Type', '1'], '22023', /type must match/],
        ['missing data', ['strict', 'chat', null], '22023', /data is required/],
        ['data over 64 KiB', ['strict', 'chat', JSON.stringify('x'.repeat(70_000))], '54000', /the limit is 65536/],
        ['data nested too deep', ['strict', 'chat', JSON.stringify(nested(101))], '22023', /more than 100 levels/],
        ['empty sender', ['strict', 'chat', '1', ''], '22023', /sender must be/],
      ];
      for (const [what, args, code, message] of cases) {
        const failure = inTransaction(url, (client) => callPublish(client, args));
        await expect(failure, what).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      }
      const fine = await inTransaction(url, (client) => sqlPublish(client, 'strict', 'chat', nested(100)));
      expect(await roomLastSeq(server.baseUrl, service, 'strict')).toBe(fine);
      expect(fine).toBe(1);
    });

    it('delivers what was published while its listening connection was cut, once it is back', async () => {
      await createRoom(server.baseUrl, service, 'cut');
      const subscriber = await WsTestClient.connect(server.wsUrl, service);
      await subscriber.request({ op: 'join', room: 'cut' });
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN roomcast_events'`,
      );
      await admin.end();
      expect(cut.rowCount).toBe(1);

      const seq = await inTransaction(url, (client) => sqlPublish(client, 'cut', 'while.away', 1));

      await subscriber.waitFor(() => subscriber.events('cut').some((event) => event.seq === seq));
      await server.log.until(
        () => server.log.count('listening for events published from SQL again') > 0,
        'listening again',
      );
      await subscriber.close();
    });
  },
);

describe.skipIf(cluster.skip)(`publishing from SQL in a cluster ${cluster.skip ?? ''}`, () => {
  it('interleaves SQL and REST publishes on two nodes in one gapless seq run, each subscriber seeing every seq once', async () => {
    const nodes = await startCluster(cluster.postgresUrl!, cluster.redisUrl!, 2);
    try {
      const [a, b] = nodes.nodes as [(typeof nodes.nodes)[0], (typeof nodes.nodes)[0]];
      await createRoom(a.baseUrl, service, 'mixed');
      const subscribers = await Promise.all(
        [a, b].map(async (node) => {
          const client = await WsTestClient.connect(node.wsUrl, service);
          await client.request({ op: 'join', room: 'mixed' });
          return client;
        }),
      );
      const rest = (node: typeof a, n: number) =>
        publishEvent(node.baseUrl, service, 'mixed', { type: 'rest', data: n }).then((answer) =>
          expect(answer.status).toBe(201),
        );
      const sql = (n: number) => inTransaction(nodes.databaseUrl, (client) => sqlPublish(client, 'mixed', 'sql', n));
      await Promise.all(Array.from({ length: 60 }, (_, n) => (n % 3 === 0 ? sql(n) : rest(n % 3 === 1 ? a : b, n))));

      const total = await roomLastSeq(a.baseUrl, service, 'mixed');
      expect(total).toBe(60);
      for (const subscriber of subscribers) {
        await subscriber.waitFor(() => subscriber.events('mixed').length >= total);
        expect(subscriber.events('mixed').map((event) => event.seq)).toEqual(
          Array.from({ length: total }, (_, i) => i + 1),
        );
        expect(subscriber.events('mixed').filter((event) => event.type === 'sql')).toHaveLength(20);
        await subscriber.close();
      }
    } finally {
      await nodes.stop();
    }
  });

  it('stores one event for 20 concurrent requests with one idempotency key spread over two nodes', async () => {
    const nodes = await startCluster(cluster.postgresUrl!, cluster.redisUrl!, 2);
    try {
      await createRoom(nodes.nodes[0]!.baseUrl, service, 'keyed');
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          publishEvent(
            nodes.nodes[n % 2]!.baseUrl,
            service,
            'keyed',
            { type: 'payment.captured', data: { id: 42 } },
            { key: 'pay-42', status: [200, 201] },
          ),
        ),
      );
      expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(19);
      expect(new Set(answers.map((answer) => answer.body.seq))).toEqual(new Set([1]));
      expect(await roomLastSeq(nodes.nodes[1]!.baseUrl, service, 'keyed')).toBe(1);
    } finally {
      await nodes.stop();
    }
  });
});
