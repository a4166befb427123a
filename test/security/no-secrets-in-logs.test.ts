import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../support/child-server.js';
import { signToken } from '../support/tokens.js';
import { WsTestClient } from '../support/ws-test-client.js';

describe('logs', () => {
  it('never contain a token, whether it came in a header, a subprotocol or a refused query string', async () => {
    const server = await spawnServer();
    try {
      const token = await signToken('ann');
      const auth = { Authorization: `Bearer ${token}` };
      await request(server.baseUrl).post('/v1/rooms').set(auth).send({ id: 'quiet', name: 'Quiet' }).expect(201);
      await request(server.baseUrl).get('/v1/rooms/quiet').set(auth).expect(200);
      await request(server.baseUrl).get('/v1/rooms').set('Authorization', 'Bearer not-a-valid-token').expect(401);
      const client = await WsTestClient.connect(server.wsUrl, token);
      expect(await client.request({ op: 'join', room: 'quiet' })).toMatchObject({ op: 'ok' });
      await client.close();
      await expect(WsTestClient.connect(`${server.wsUrl}?token=${token}`, token)).rejects.toThrow();
      await server.waitForLog((line) => line.msg === 'websocket closed', "the server's log of the close");

      const text = server.logs.map((line) => JSON.stringify(line)).join('\n');
      expect(server.logs.length).toBeGreaterThan(4);
      expect(text).not.toContain(token);
      expect(text).not.toContain('not-a-valid-token');
      expect(text).not.toContain(token.split('.')[2]);
    } finally {
      await server.stop();
    }
  });
});
