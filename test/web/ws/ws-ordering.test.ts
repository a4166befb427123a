import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

let server: TestServer;
let service: string;

beforeAll(async () => {
  server = await startTestServer();
  service = await signToken('backend', { scope: 'service' });
});
afterAll(() => server?.stop());

describe('ordering under concurrent publishers', () => {
  it(`delivers every seq once and in order while 20 REST callers publish at once`, async () => {
    const auth = { Authorization: `Bearer ${service}` };
    await request(server.baseUrl).post('/v1/rooms').set(auth).send({ id: 'busy', name: 'Busy' }).expect(201);
    const watchers = await Promise.all([1, 2].map(() => WsTestClient.connect(server.wsUrl, service)));
    for (const watcher of watchers) await watcher.request({ op: 'join', room: 'busy' });

    const publishers = 20;
    const perPublisher = 20;
    const agent = request.agent(server.baseUrl);
    await Promise.all(
      Array.from({ length: publishers }, async (_, p) => {
        for (let i = 0; i < perPublisher; i += 1) {
          await agent.post('/v1/rooms/busy/events').set(auth).send({ type: 'tick', data: { p, i } }).expect(201);
        }
      }),
    );

    const total = publishers * perPublisher;
    const expected = Array.from({ length: total }, (_, i) => i + 1);
    for (const watcher of watchers) {
      await watcher.waitFor(() => watcher.events('busy').length >= total);
      expect(watcher.events('busy').map((event) => event.seq)).toEqual(expected);
      await watcher.close();
    }
  });
});
