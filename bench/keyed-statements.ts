/**
 * What an idempotency key costs the database, without HTTP: the group-commit statement of 64
 * events timed keyless, keyed as a first run stores them (repeats found by the unique violation),
 * and keyed with lookups (a rerun, or a publish inside a transaction). One connection, statements
 * back to back, `synchronous_commit` off (the commit's flush is the same for all three), the
 * three kinds alternating in rounds; it prints each kind's median time and its ratio to keyless.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/keyed-statements.ts
 *
 * It works in a fresh database of its own, dropped at the end.
 */
import { type KeyCheck, insertGroups, serialiseEvent } from '../src/database/event-insert-statements.js';
import { PgPoolDatabase } from '../src/database/pg-pool-database.js';
import { postgresTestDatabase } from '../test/support/databases.js';
import { median } from './load/stats.js';

const EVENTS_PER_STATEMENT = 64;
const ROOMS = 50;
const ROUNDS = 9;
const STATEMENTS_PER_ROUND = 200;
const DATA = { text: 'hello world, this is a chat message of moderate length', n: 42, tags: ['a', 'b'] };

type Kind = 'keyless' | KeyCheck;
const KINDS: readonly Kind[] = ['keyless', 'by unique violation', 'looked up'];

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const scratch = await postgresTestDatabase(url);
const database = await oneConnectionWithoutSyncCommit(scratch.url!);
let keys = 0;
const statement = (kind: Kind) =>
  insertGroups(
    database,
    Array.from({ length: EVENTS_PER_STATEMENT }, (_, i) => [
      serialiseEvent({
        room: `room-${i % ROOMS}`,
        type: 'chat.message',
        data: DATA,
        sender: `sender-${i}`,
        ...(kind === 'keyless' ? {} : { idempotencyKey: `key-${(keys += 1)}` }),
      }),
    ]),
    kind === 'keyless' ? 'looked up' : kind,
  );

async function msPerStatement(kind: Kind): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < STATEMENTS_PER_ROUND; i += 1) await statement(kind);
  return (performance.now() - start) / STATEMENTS_PER_ROUND;
}

const times = new Map<Kind, number[]>(KINDS.map((kind) => [kind, []]));
for (const kind of KINDS) await msPerStatement(kind);
for (let round = 0; round < ROUNDS; round += 1) {
  for (const kind of KINDS) times.get(kind)!.push(await msPerStatement(kind));
}
const keyless = median(times.get('keyless')!);
for (const kind of KINDS) {
  const ms = median(times.get(kind)!);
  console.log(
    `${kind.padEnd(20)} ${ms.toFixed(3)} ms per statement of ${EVENTS_PER_STATEMENT}, ${(ms / keyless).toFixed(2)}× keyless`,
  );
}
await database.close();
await scratch.dispose();

async function oneConnectionWithoutSyncCommit(databaseUrl: string): Promise<PgPoolDatabase> {
  const target = new URL(databaseUrl);
  target.searchParams.set('options', '-c synchronous_commit=off');
  const db = new PgPoolDatabase(target.toString(), 1);
  for (let room = 0; room < ROOMS; room += 1) {
    await db.query("INSERT INTO rooms (id, name, capacity, epoch) VALUES ($1, $1, 1000, 'e')", [`room-${room}`]);
  }
  return db;
}
