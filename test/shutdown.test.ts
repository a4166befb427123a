import { request as httpRequest } from 'node:http';
import request from 'supertest';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { type ChildServer, spawnServer } from './support/child-server.js';
import { signToken } from './support/tokens.js';
import { WsTestClient } from './support/ws-test-client.js';

/** A POST whose body is not all sent yet: it stays in flight until `finish` is called. */
function inFlightPublish(server: ChildServer, token: string, room: string) {
  const body = JSON.stringify({ type: 'late', data: 'sent during shutdown' });
  const req = httpRequest(`${server.baseUrl}/v1/rooms/${room}/events`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  req.write(body.slice(0, 10));
  return { response, finish: () => req.end(body.slice(10)) };
}

async function untilMetric(server: ChildServer, name: string, isMet: (value: number) => boolean): Promise<void> {
  for (;;) {
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
    if (line && isMet(Number(line.slice(name.length + 1)))) return;
  }
}

async function untilStatus(url: string, status: number): Promise<void> {
  for (;;) {
    const response = await fetch(url).catch(() => undefined);
    if (response?.status === status) return;
  }
}

describe.each(['SIGTERM', 'SIGINT'] as const)('graceful shutdown on %s', (signal) => {
  it('turns /readyz 503, refuses new work, finishes in-flight requests, delivers queued events, closes with 1001 within the drain, exits 0', async () => {
    const server = await spawnServer({ SHUTDOWN_DRAIN_MS: '1500', SHUTDOWN_TIMEOUT_MS: '5000' });
    try {
      const token = await signToken('ann');
      const auth = { Authorization: `Bearer ${token}` };
      await request(server.baseUrl).post('/v1/rooms').set(auth).send({ id: 'bye', name: 'Bye' }).expect(201);
      const client = await WsTestClient.connect(server.wsUrl, token);
      await client.request({ op: 'join', room: 'bye' });
      for (let i = 0; i < 20; i += 1) {
        await request(server.baseUrl)
          .post('/v1/rooms/bye/events')
          .set(auth)
          .send({ type: 'tick', data: i })
          .expect(201);
      }
      const inFlight = inFlightPublish(server, token, 'bye');
      // In flight: the server is serving it (besides the scrape that asks).
      await untilMetric(server, 'roomcast_http_requests_in_flight', (value) => value >= 2);

      const stoppedAt = Date.now();
      server.child.kill(signal);
      await untilStatus(`${server.baseUrl}/readyz`, 503);
      const refused = await request(server.baseUrl).get('/v1/rooms').set(auth);
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('unavailable');
      expect((await request(server.baseUrl).get('/healthz')).status).toBe(200);
      const upgrade = new WebSocket(server.wsUrl, ['roomcast.v1', `roomcast.token.${token}`]);
      const upgradeStatus = await new Promise<number>((resolve) => {
        upgrade.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        upgrade.on('error', () => undefined);
      });
      expect(upgradeStatus).toBe(503);

      inFlight.finish();
      const late = await inFlight.response;
      expect(late.status).toBe(201);
      const lateSeq = (JSON.parse(late.body) as { seq: number }).seq;

      expect(await client.closed()).toBe(1001);
      // The drain closes the connection somewhere in its window, after what was queued for it:
      // everything published before the signal, in order, and the late event if it came first.
      const seqs = client.events('bye').map((event) => event.seq as number);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      expect(seqs.length).toBeGreaterThanOrEqual(20);
      expect(seqs.length).toBeLessThanOrEqual(lateSeq);
      expect(await server.exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(1500 + 5000 + 2000);
      expect(server.logs.some((line) => line.msg === 'roomcast stopped')).toBe(true);
      await expect(fetch(`${server.baseUrl}/healthz`)).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });
});
