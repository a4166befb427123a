import { afterAll, beforeAll, expect, it } from 'vitest';
import { BatchedMembershipReader, MAX_LOOKUPS_PER_STATEMENT } from '../../src/database/membership-reads.js';
import { PgUnitOfWork } from '../../src/database/pg-unit-of-work.js';
import { type TestDatabase, countingStatements, onBothDatabases } from '../support/databases.js';

onBothDatabases('batched membership reads', membershipReadsContract);

function membershipReadsContract(open: () => Promise<TestDatabase>): void {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await open();
    const uow = new PgUnitOfWork(database.db);
    for (const id of ['alpha', 'beta']) await uow.repos.rooms.create({ id, name: id, capacity: 10, epoch: `e-${id}` });
    await uow.repos.members.add({ roomId: 'alpha', userId: 'ann', name: 'Ann' });
    await uow.repos.members.add({ roomId: 'beta', userId: 'bob', name: 'Bob' });
  });
  afterAll(() => database?.dispose());

  it('sends the first lookup at once and the ones made meanwhile together, each answered in its own right', async () => {
    const sql = countingStatements(database.db);
    const reader = new BatchedMembershipReader(sql);
    const first = reader.find('alpha', 'ann');
    expect(sql.statements).toBe(1);
    const asked = [
      ['alpha', 'bob'],
      ['beta', 'bob'],
      ['nowhere', 'ann'],
      ['alpha', 'ann'],
    ] as const;
    const answers = await Promise.all([first, ...asked.map(([room, user]) => reader.find(room, user))]);
    expect(answers.map((answer) => answer && [answer.room.id, answer.room.epoch, answer.isMember])).toEqual([
      ['alpha', 'e-alpha', true],
      ['alpha', 'e-alpha', false],
      ['beta', 'e-beta', true],
      null,
      ['alpha', 'e-alpha', true],
    ]);
    expect(sql.statements).toBe(2);
  });

  it('under load waits a moment before the next statement, and answers the lookups of that moment with it', async () => {
    const sql = countingStatements(database.db);
    const reader = new BatchedMembershipReader(sql);
    const first = reader.find('alpha', 'ann');
    const during = reader.find('alpha', 'bob');
    await first;
    const justAfter = reader.find('beta', 'bob');
    const answers = await Promise.all([during, justAfter]);
    expect(answers.map((answer) => answer?.isMember)).toEqual([false, true]);
    expect(sql.statements).toBe(2);
  });

  it('bounds the lookups in one statement', async () => {
    const sql = countingStatements(database.db);
    const reader = new BatchedMembershipReader(sql);
    const lookups = Array.from({ length: MAX_LOOKUPS_PER_STATEMENT + 2 }, () => reader.find('beta', 'bob'));
    expect((await Promise.all(lookups)).every((answer) => answer?.isMember === true)).toBe(true);
    // The first alone, then a full statement, then the one left over.
    expect(sql.statements).toBe(3);
  });

  it('rejects only the lookups of a statement that failed; the next ones are answered', async () => {
    let failures = 1;
    const reader = new BatchedMembershipReader({
      query: (text, params) =>
        failures-- > 0 ? Promise.reject(new Error('connection lost')) : database.db.query(text, params),
      exec: (script) => database.db.exec(script),
    });
    const failed = reader.find('alpha', 'ann');
    const next = reader.find('alpha', 'ann');
    await expect(failed).rejects.toThrow('connection lost');
    expect(await next).toMatchObject({ isMember: true });
  });
}
