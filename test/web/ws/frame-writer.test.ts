import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Frame } from '../../../src/web/ws/codec.js';
import { FrameWriter } from '../../../src/web/ws/frame-writer.js';

/** A stand-in for a ws WebSocket and the TCP socket under it, counting corks, uncorks and writes. */
function fakeConnection() {
  const counts = { corks: 0, uncorks: 0, writes: 0 };
  const tcp = {
    cork: () => (counts.corks += 1),
    uncork: () => (counts.uncorks += 1),
    write: () => (counts.writes += 1),
  };
  const socket = { _socket: tcp, readyState: WebSocket.OPEN as number };
  return { counts, socket, writer: new FrameWriter(socket as unknown as WebSocket) };
}

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A ws server and a client connected to it: the server's side of the connection. */
async function connectedPair() {
  const server = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const [connection] = (await once(server, 'connection')) as [WebSocket];
  const received: string[] = [];
  client.on('message', (data) => received.push(data.toString()));
  const until = async (count: number) => {
    while (received.length < count) await once(client, 'message');
  };
  const close = async () => {
    client.close();
    await once(client, 'close');
    server.close();
  };
  return { connection, received, until, close };
}

describe('FrameWriter', () => {
  it('corks once for every write of a turn and uncorks when the turn ends', async () => {
    const { counts, writer } = fakeConnection();
    const frame = Frame.text('{}');
    writer.write(frame);
    writer.write(frame);
    writer.write(frame);
    expect(counts).toEqual({ corks: 1, uncorks: 0, writes: 3 });
    await endOfTurn();
    expect(counts).toEqual({ corks: 1, uncorks: 1, writes: 3 });
    writer.write(frame);
    await endOfTurn();
    expect(counts).toEqual({ corks: 2, uncorks: 2, writes: 4 });
  });

  it('writes nothing once the WebSocket is closing', () => {
    const { counts, socket, writer } = fakeConnection();
    socket.readyState = WebSocket.CLOSING;
    writer.write(Frame.text('{}'));
    expect(counts).toEqual({ corks: 0, uncorks: 0, writes: 0 });
  });

  it("writes frames of every length ws's client reads, whole and in order among ws's own sends", async () => {
    const pair = await connectedPair();
    const writer = new FrameWriter(pair.connection);
    // 7-bit, 16-bit and 64-bit payload lengths, and multi-byte characters.
    const texts = ['short', 'é'.repeat(200), 'x'.repeat(70_000), 'last'];
    writer.write(Frame.text(texts[0]!));
    pair.connection.send('from ws');
    for (const text of texts.slice(1)) writer.write(Frame.text(text));
    await pair.until(5);
    expect(pair.received).toEqual([texts[0], 'from ws', ...texts.slice(1)]);
    await pair.close();
  });

  it('sends the frames of one turn in one write, and says when a frame is written', async () => {
    const pair = await connectedPair();
    const tcp = (pair.connection as unknown as { _socket: { writableCorked: number } })._socket;
    const writer = new FrameWriter(pair.connection);
    let written = false;
    for (let i = 0; i < 9; i += 1) writer.write(Frame.text(`frame ${i}`));
    writer.write(Frame.text('frame 9'), () => (written = true));
    expect(tcp.writableCorked).toBe(1);
    expect(pair.connection.bufferedAmount).toBeGreaterThan(0);
    await endOfTurn();
    expect(tcp.writableCorked).toBe(0);
    await pair.until(10);
    expect(written).toBe(true);
    expect(pair.received).toEqual(Array.from({ length: 10 }, (_, i) => `frame ${i}`));
    await pair.close();
  });
});
