import { createServer } from 'node:http';
import express from 'express';
import { Server } from 'socket.io';

/**
 * socket.io: what a Node user would write with express and socket.io 4 (default settings).
 * A client joins the room named in its handshake query; POST /rooms/:id/events emits the event
 * to that room with io.to(room).emit.
 */
const app = express();
const server = createServer(app);
const io = new Server(server, { serveClient: false });

// Joining in a middleware runs before the namespace CONNECT reply: a client that has its "40" is in the room.
io.use((socket, next) => {
  const room = socket.handshake.query.room;
  if (typeof room !== 'string' || room === '') return next(new Error('room is required'));
  void socket.join(room);
  next();
});

app.use(express.json());
app.get('/healthz', (_req, res) => void res.status(200).end());
app.post('/rooms/:id/events', (req, res) => {
  const room = req.params.id;
  const { type, data } = req.body as { type: string; data: unknown };
  io.to(room).emit('event', { room, type, data, at: new Date().toISOString() });
  res.status(201).json({ ok: true });
});

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
