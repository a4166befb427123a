import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

describe('shutdown', () => {
  it('delivers what is queued, closes sockets with 1001, and then refuses new connections', async () => {
    const server = await startTestServer();
    const token = await signToken('ann');
    await request(server.baseUrl)
      .post('/v1/rooms')
      .set('Authorization', `Bearer ${token}`)
      .send({ id: 'bye', name: 'Bye' })
      .expect(201);
    const client = await WsTestClient.connect(server.wsUrl, token);
    await client.request({ op: 'join', room: 'bye' });
    const publishes = Array.from({ length: 50 }, (_, i) =>
      request(server.baseUrl)
        .post('/v1/rooms/bye/events')
        .set('Authorization', `Bearer ${token}`)
        .send({ type: 'tick', data: i }),
    );
    const seqs = (await Promise.all(publishes)).map((response) => response.body.seq as number);

    await server.stop();

    expect(await client.closed()).toBe(1001);
    expect(client.events('bye').map((event) => event.seq)).toEqual([...seqs].sort((a, b) => a - b));
    await expect(WsTestClient.connect(server.wsUrl, token)).rejects.toThrow();
    expect(server.app.connections.counts()).toEqual({ clients: 0, subscriptions: 0, rooms: 0 });
  });
});
