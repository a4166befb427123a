import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * ws-raw: the floor any ws-based server stands on. node:http + ws, a Map<room, Set<socket>>,
 * the room given in the upgrade's query; POST /rooms/:id/events serialises the event once and
 * sends it to each socket of the room. No auth, no persistence, no queues.
 */
const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
const PUBLISH_PATH = /^\/rooms\/([^/]+)\/events$/;

const server = createServer((req, res) => {
  const room = req.method === 'POST' ? PUBLISH_PATH.exec(req.url ?? '')?.[1] : undefined;
  if (room !== undefined) return void publish(room, req, res).catch(() => res.writeHead(400).end());
  res.writeHead(req.url === '/healthz' ? 200 : 404).end();
});

server.on('upgrade', (req, socket, head) => {
  const room = new URL(req.url ?? '/', 'http://localhost').searchParams.get('room');
  if (!room) return void socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    let members = rooms.get(room);
    if (!members) rooms.set(room, (members = new Set()));
    members.add(ws);
    ws.on('error', () => ws.terminate());
    ws.once('close', () => {
      members.delete(ws);
      if (members.size === 0) rooms.delete(room);
    });
  });
});

async function publish(room: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += chunk;
  const { type, data } = JSON.parse(body) as { type: string; data: unknown };
  const frame = Buffer.from(JSON.stringify({ room, type, data, at: new Date().toISOString() }));
  const members = rooms.get(room) ?? new Set<WebSocket>();
  for (const ws of members) ws.send(frame, { binary: false });
  res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ delivered: members.size }));
}

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
