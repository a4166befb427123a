import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEvent, when } from '../../support/eventually.js';
import { type TestServer, startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';
import { WsTestClient } from '../../support/ws-test-client.js';

const PING_INTERVAL_MS = 100;
let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ PING_INTERVAL_MS: String(PING_INTERVAL_MS) });
  token = await signToken('ann');
});
afterAll(() => server?.stop());

describe('keepalive', () => {
  it('keeps a client that answers pings', async () => {
    const client = await WsTestClient.connect(server.wsUrl, token);
    let pings = 0;
    client.socket.on('ping', () => (pings += 1));
    await when(() => pings >= 4, onEvent(client.socket, 'ping'), 10_000, 'four pings');
    expect(client.closeCode).toBeUndefined();
    await client.close();
  });

  it('terminates a client that stops answering pings, and unregisters it', async () => {
    const silent = await WsTestClient.connect(server.wsUrl, token);
    await silent.request({ op: 'join', room: 'nowhere' });
    // ws answers pings by itself; silence that answer to play a dead peer.
    silent.socket.pong = () => {};
    const started = Date.now();
    expect(await silent.closed()).toBe(1006);
    expect(Date.now() - started).toBeLessThan(PING_INTERVAL_MS * 2 + 1000);
    await server.untilConnectionsClosed();
    expect(server.app.connections.counts()).toEqual({ clients: 0, subscriptions: 0, rooms: 0 });
  });

  it('terminates a raw TCP peer that completed the handshake and never answers, within two intervals', async () => {
    const tcp = createConnection({ host: '127.0.0.1', port: server.app.port });
    await once(tcp, 'connect');
    tcp.write(
      [
        'GET /v1/ws HTTP/1.1',
        `Host: 127.0.0.1:${server.app.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        `Authorization: Bearer ${token}`,
        '',
        '',
      ].join('\r\n'),
    );
    const [handshake] = (await once(tcp, 'data')) as [Buffer];
    expect(handshake.toString()).toMatch(/^HTTP\/1\.1 101 /);
    // The server registers the connection in the same turn as it writes the 101, so it is counted now.
    expect(server.app.connections.counts().clients).toBe(1);
    const connectedAt = Date.now();
    tcp.on('data', () => {});
    await once(tcp, 'close');
    expect(Date.now() - connectedAt).toBeLessThan(PING_INTERVAL_MS * 2 + 500);
    await server.untilConnectionsClosed();
  });
});
