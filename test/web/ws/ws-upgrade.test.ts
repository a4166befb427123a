import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient, refusedUpgrade } from '../../support/ws-test-client.js';

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ ALLOWED_ORIGINS: 'https://app.example' });
  token = await signToken('ann');
});
afterAll(() => server?.stop());

describe('the WebSocket upgrade', () => {
  it('accepts a token in the subprotocol list, selects roomcast.v1 and never echoes the token', async () => {
    const client = await WsTestClient.connect(server.wsUrl, token);
    expect(client.socket.protocol).toBe('roomcast.v1');
    await client.close();
  });

  it('accepts a bearer header from a non-browser client, with or without a subprotocol', async () => {
    for (const protocols of [[], ['roomcast.v1']]) {
      const socket = new WebSocket(server.wsUrl, protocols, { headers: { Authorization: `Bearer ${token}` } });
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.close();
    }
  });

  it('prefers the subprotocol token over the header', async () => {
    const socket = new WebSocket(server.wsUrl, ['roomcast.v1', `roomcast.token.${token}`], {
      headers: { Authorization: 'Bearer not-a-token' },
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.close();
  });

  it('refuses a missing token with 401 before the upgrade', async () => {
    const { status, body } = await refusedUpgrade(server.wsUrl, ['roomcast.v1']);
    expect(status).toBe(401);
    expect(body.error.code).toBe('unauthenticated');
  });

  it('refuses a bad or expired token with 401', async () => {
    const expired = await signToken('ann', { expiresIn: -60 });
    for (const bad of ['garbage', expired]) {
      const { status } = await refusedUpgrade(server.wsUrl, ['roomcast.v1', `roomcast.token.${bad}`]);
      expect(status).toBe(401);
    }
  });

  it('refuses a token in the query string with 401, even next to a good one', async () => {
    const { status } = await refusedUpgrade(`${server.wsUrl}?token=${token}`, [
      'roomcast.v1',
      `roomcast.token.${token}`,
    ]);
    expect(status).toBe(401);
  });

  it('refuses an Origin that is not allowed with 403, before looking at the token', async () => {
    const { status, body } = await refusedUpgrade(server.wsUrl, ['roomcast.v1'], { Origin: 'https://evil.example' });
    expect(status).toBe(403);
    expect(body.error.code).toBe('forbidden');
    const allowed = new WebSocket(server.wsUrl, ['roomcast.v1', `roomcast.token.${token}`], {
      origin: 'https://app.example',
    });
    await new Promise((resolve, reject) => {
      allowed.once('open', resolve);
      allowed.once('error', reject);
    });
    allowed.close();
  });

  it('refuses subprotocols without roomcast.v1 with 400, and other paths with 404', async () => {
    const noRoomcast = await refusedUpgrade(server.wsUrl, [`roomcast.token.${token}`]);
    expect(noRoomcast.status).toBe(400);
    const wrongPath = await refusedUpgrade(server.wsUrl.replace('/v1/ws', '/elsewhere'), [
      'roomcast.v1',
      `roomcast.token.${token}`,
    ]);
    expect(wrongPath.status).toBe(404);
  });
});
