import { describe, expect, it } from 'vitest';
import { publishOverRest, seqRange } from '../../support/delivery-subscriber.js';
import { bearer, createRoom } from '../../support/rest.js';
import { SseTestStream, openStream } from '../../support/sse-test-client.js';
import { startTestServer } from '../../support/test-server.js';
import { signToken } from '../../support/tokens.js';

describe('the end of an event stream', () => {
  it('at shutdown: everything queued, then event: close 1001, then the end; new streams are refused', async () => {
    const server = await startTestServer();
    const ann = await signToken('ann');
    await createRoom(server.baseUrl, ann, 'bye');
    const stream = await openStream(server.baseUrl, '/v1/rooms/bye/stream', bearer(ann));
    await stream.waitFor(() => stream.messages.length > 0, 'ready');
    await publishOverRest(server.baseUrl, ann, 'bye', 50);

    await server.stop();

    await stream.ended();
    expect(stream.seqs).toEqual(seqRange(1, 50));
    expect(stream.messages.at(-1)).toEqual({
      event: 'close',
      data: JSON.stringify({ code: 1001, reason: 'server shutting down' }),
    });
    await expect(SseTestStream.open(server.baseUrl, '/v1/rooms/bye/stream', bearer(ann))).rejects.toThrow();
    expect(server.app.connections.counts()).toEqual({ clients: 0, subscriptions: 0, rooms: 0 });
  });

  it('when the token expires: event: close 4001', async () => {
    const server = await startTestServer();
    try {
      const ann = await signToken('ann');
      await createRoom(server.baseUrl, ann, 'expiring');
      // Expired 4 s ago: still inside the 5 s clock tolerance when the stream opens, past it a second later.
      const expiring = await signToken('ann', { expiresIn: -4 });
      const stream = await openStream(server.baseUrl, '/v1/rooms/expiring/stream', bearer(expiring));
      const started = Date.now();
      await stream.ended(5_000);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(stream.data('close')).toEqual([{ code: 4001, reason: 'token expired' }]);
    } finally {
      await server.stop();
    }
  });
});
