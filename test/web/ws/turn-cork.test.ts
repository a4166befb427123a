import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { TurnCork } from '../../../src/web/ws/turn-cork.js';

/** A stand-in for the TCP socket under a ws WebSocket, counting corks and uncorks. */
function corkCounter() {
  const counts = { corks: 0, uncorks: 0 };
  const tcp = { cork: () => (counts.corks += 1), uncork: () => (counts.uncorks += 1) };
  return { counts, socket: { _socket: tcp } as unknown as WebSocket };
}

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnCork', () => {
  it('corks once for every write of a turn and uncorks when the turn ends', async () => {
    const { counts, socket } = corkCounter();
    const cork = new TurnCork(socket);
    cork.hold();
    cork.hold();
    cork.hold();
    expect(counts).toEqual({ corks: 1, uncorks: 0 });
    await endOfTurn();
    expect(counts).toEqual({ corks: 1, uncorks: 1 });
    cork.hold();
    await endOfTurn();
    expect(counts).toEqual({ corks: 2, uncorks: 2 });
  });

  it('leaves a socket without a TCP socket under it alone', () => {
    expect(() => new TurnCork({} as WebSocket).hold()).not.toThrow();
  });

  it("reaches ws's own TCP socket, and the frames of one turn arrive whole and in order", async () => {
    const server = new WebSocketServer({ port: 0 });
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const [connection] = (await once(server, 'connection')) as [WebSocket];
    const tcp = (connection as unknown as { _socket: { cork(): void; writableCorked: number } })._socket;
    const received: string[] = [];
    client.on('message', (data) => received.push(data.toString()));
    const cork = new TurnCork(connection);
    for (let i = 0; i < 10; i += 1) {
      cork.hold();
      connection.send(`frame ${i}`);
    }
    expect(tcp.writableCorked).toBe(1);
    await endOfTurn();
    expect(tcp.writableCorked).toBe(0);
    while (received.length < 10) await once(client, 'message');
    expect(received).toEqual(Array.from({ length: 10 }, (_, i) => `frame ${i}`));
    client.close();
    await once(client, 'close');
    server.close();
  });
});
