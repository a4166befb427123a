import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, recordingStatements, testDatabase } from '../support/databases.js';
import { ResumingSubscriber, publishOverRest, roomLastSeq } from '../support/delivery-subscriber.js';
import { createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

const USERS = 20;
const WRITES = /^\s*(insert|update|delete|begin|with)\b/i;

let database: TestDatabase & { readonly statements: string[] };
let server: TestServer;
let service: string;

beforeAll(async () => {
  database = recordingStatements(await testDatabase());
  server = await startTestServer({}, database);
  service = await signToken('backend', { scope: 'service' });
});
afterAll(async () => {
  await server?.stop();
  await database?.dispose();
});

describe('a member rejoining', () => {
  it('writes nothing to the database, whether it missed events or not', async () => {
    const room = 'cheap-rejoin';
    await createRoom(server.baseUrl, service, room);
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const name = `user-${i}`;
        return new ResumingSubscriber(server.wsUrl, await signToken(name), room, name);
      }),
    );
    await Promise.all(users.map((user) => user.join()));
    await Promise.all(users.map((user) => user.reached(USERS)));

    const [missing, current] = [users.slice(0, USERS / 2), users.slice(USERS / 2)];
    for (const user of missing) user.disconnect(true);
    await publishOverRest(server.baseUrl, service, room, 5);
    const lastSeq = await roomLastSeq(server.baseUrl, service, room);
    await Promise.all(current.map((user) => user.reached(lastSeq)));
    for (const user of current) user.disconnect(true);

    // The first joins made members: the recording sees writes when there are some.
    expect(database.statements.filter((text) => WRITES.test(text)).length).toBeGreaterThan(0);
    database.statements.length = 0;
    const replies = await Promise.all(users.map((user) => user.join()));
    await Promise.all(users.map((user) => user.reached(lastSeq)));
    await Promise.all(users.map((user) => user.seesPresent(USERS)));
    expect(replies.map((reply) => reply.recovered)).toEqual(Array(USERS).fill(true));
    expect(users.flatMap((user) => user.problems)).toEqual([]);
    // The rejoins read (membership, the room, the missed events), and write nothing.
    expect(database.statements.length).toBeGreaterThan(0);
    expect(database.statements.filter((text) => WRITES.test(text))).toEqual([]);
    await Promise.all(users.map((user) => user.closeAll()));
  });
});
