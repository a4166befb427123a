import { afterEach, describe, expect, it, vi } from 'vitest';
import { Frame } from '../../../src/web/ws/codec.js';
import type { ClientEnd } from '../../../src/web/hub/client-events.js';
import { WsClient } from '../../../src/web/ws/ws-client.js';
import { FakeSocket } from '../../support/fakes/fake-socket.js';
import { person } from '../../support/fakes/fixtures.js';

const KiB = 1024;
/** ws-client.ts's SOCKET_HIGH_WATER_BYTES. */
const HIGH_WATER = 64 * KiB;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A frame of exactly `bytes` bytes on the wire (header included) whose text starts with `name:`. */
function frame(name: string, bytes = 100): Frame {
  const header = bytes - 2 <= 125 ? 2 : bytes - 4 <= 0xffff ? 4 : 10;
  return Frame.text(`${name}:`.padEnd(bytes - header, '.'));
}

/** The names of the frames the socket was given, in order. */
function sentNames(socket: FakeSocket): string[] {
  return socket.sent.map((call) => call.data.toString('utf8', 0, call.data.indexOf(':')));
}

/** A client over a fake socket, with everything it reports recorded. */
function newClient(options: { limitBytes?: number; expiresAtMs?: number } = {}) {
  const socket = new FakeSocket();
  const ends: ClientEnd[] = [];
  const endedClients: WsClient[] = [];
  const slowConsumerReports: number[] = [];
  const client = new WsClient(
    socket.asWebSocket(),
    person('ann'),
    options.limitBytes ?? 1024 * KiB,
    options.expiresAtMs,
    {
      closed: (ended, end) => {
        endedClients.push(ended);
        ends.push(end);
      },
      closingAsSlowConsumer: (pendingBytes) => slowConsumerReports.push(pendingBytes),
    },
  );
  return { socket, client, ends, endedClients, slowConsumerReports };
}

/** The promise's value if it has settled by the time pending microtasks ran, else 'pending'. */
async function settledValue<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, Promise.resolve().then(() => 'pending' as const)]);
}

describe('WsClient sending', () => {
  it('sends at once, without a callback, when nothing is queued and the socket has room', () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER - 101;
    client.enqueue(frame('a', 100));
    expect(socket.sent).toEqual([{ kind: 'send', data: frame('a', 100).payload, hasCallback: false }]);
    expect(client.pendingBytes).toBe(HIGH_WATER - 101);
  });

  it('sends with a callback once a frame would bring the socket to the high-water mark', () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER - 100;
    client.enqueue(frame('a', 100));
    expect(socket.sent.map((call) => call.hasCallback)).toEqual([true]);
    expect(socket.waitingCallbacks).toBe(1);
  });

  it('holds later frames in the queue while the socket is full, then sends them in order when the callback fires', () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER;
    client.enqueue(frame('a'));
    client.enqueue(frame('b'));
    client.enqueue(frame('c'));
    expect(sentNames(socket)).toEqual(['a']);
    expect(socket.sent[0]!.hasCallback).toBe(true);

    socket.bufferedAmount = 0;
    socket.completeSend();

    expect(sentNames(socket)).toEqual(['a', 'b', 'c']);
    expect(socket.sent.map((call) => call.hasCallback)).toEqual([true, false, false]);
    expect(socket.waitingCallbacks).toBe(0);
  });

  it('sends nothing more until the pending callback fires, even when the socket has room again', () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER;
    client.enqueue(frame('a'));
    socket.bufferedAmount = 0;
    client.enqueue(frame('b'));
    client.enqueue(frame('c'));
    expect(sentNames(socket)).toEqual(['a']);
    expect(client.pendingBytes).toBe(200);

    socket.completeSend();
    client.enqueue(frame('d'));

    expect(sentNames(socket)).toEqual(['a', 'b', 'c', 'd']);
    expect(socket.sent.map((call) => call.hasCallback)).toEqual([true, false, false, false]);
  });

  it('goes on one frame per callback while the socket stays full', () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER;
    ['a', 'b', 'c'].forEach((name) => client.enqueue(frame(name)));

    socket.completeSend();
    expect(sentNames(socket)).toEqual(['a', 'b']);
    expect(socket.sent.map((call) => call.hasCallback)).toEqual([true, true]);

    socket.completeSend();
    expect(sentNames(socket)).toEqual(['a', 'b', 'c']);
    socket.completeSend();
    expect(socket.waitingCallbacks).toBe(0);
    expect(client.pendingBytes).toBe(HIGH_WATER);
  });

  it("counts queued bytes plus the socket's buffer as pending, and counts down as the queue drains", () => {
    const { socket, client } = newClient();
    expect(client.pendingBytes).toBe(0);
    socket.bufferedAmount = 70 * KiB;
    client.enqueue(frame('a', 1000));
    client.enqueue(frame('b', 2000));
    client.enqueue(frame('c', 3000));
    // `a` went to the socket (ws counts it in bufferedAmount from then on); b and c wait here.
    expect(client.pendingBytes).toBe(5000 + 70 * KiB);

    socket.bufferedAmount = 65 * KiB;
    socket.completeSend();
    expect(sentNames(socket)).toEqual(['a', 'b']);
    expect(client.pendingBytes).toBe(3000 + 65 * KiB);

    socket.bufferedAmount = 0;
    socket.completeSend();
    expect(sentNames(socket)).toEqual(['a', 'b', 'c']);
    expect(client.pendingBytes).toBe(0);
  });
});

describe('WsClient overflow', () => {
  /** A client over a full socket with a 100 KiB limit, `a` sent and waiting, `b` (20 KiB) queued: 84 KiB pending. */
  function stalledClient() {
    const stalled = newClient({ limitBytes: 100 * KiB });
    stalled.socket.bufferedAmount = HIGH_WATER;
    stalled.client.enqueue(frame('a', KiB));
    stalled.client.enqueue(frame('b', 20 * KiB));
    expect(stalled.client.pendingBytes).toBe(HIGH_WATER + 20 * KiB);
    return stalled;
  }

  it('accepts a frame that brings the pending bytes exactly to the limit', () => {
    const { socket, client, slowConsumerReports } = stalledClient();
    client.enqueue(frame('c', 16 * KiB));
    expect(client.pendingBytes).toBe(100 * KiB);
    expect(client.isOpen).toBe(true);
    expect(slowConsumerReports).toEqual([]);
    expect(socket.closes).toEqual([]);
  });

  it('closes as a slow consumer with 1013 when a frame would pass the limit, and drops the queue', () => {
    const { socket, client, ends, slowConsumerReports } = stalledClient();
    client.enqueue(frame('c', 16 * KiB + 1));

    expect(slowConsumerReports).toEqual([HIGH_WATER + 20 * KiB]);
    expect(socket.closes).toEqual([{ code: 1013, reason: 'send queue overflow' }]);
    expect(client.isOpen).toBe(false);
    expect(client.pendingBytes).toBe(HIGH_WATER);
    expect(ends).toEqual([]);

    socket.bufferedAmount = 0;
    socket.completeSend();
    expect(sentNames(socket)).toEqual(['a']);
  });

  it('ignores every later enqueue and slow-consumer close once it overflowed', () => {
    const { socket, client, slowConsumerReports } = stalledClient();
    client.enqueue(frame('c', 30 * KiB));
    socket.bufferedAmount = 0;
    client.enqueue(frame('d'));
    client.enqueue(frame('e', 200 * KiB));
    client.closeAsSlowConsumer('again');
    client.close(1000, 'bye');

    expect(sentNames(socket)).toEqual(['a']);
    expect(slowConsumerReports).toHaveLength(1);
    expect(socket.closes).toEqual([{ code: 1013, reason: 'send queue overflow' }]);
    expect(client.pendingBytes).toBe(0);
  });

  it("reports the end as 'overflow' exactly once, when the socket has closed", () => {
    const { socket, client, ends, endedClients } = stalledClient();
    client.enqueue(frame('c', 30 * KiB));
    expect(ends).toEqual([]);

    socket.emitClose(1013);
    client.enqueue(frame('d'));
    client.close(1000, 'bye');

    expect(ends).toEqual(['overflow']);
    expect(endedClients).toEqual([client]);
  });

  it('closes as a slow consumer when asked, with the reason given, and reports what was pending', () => {
    const { socket, client, ends, slowConsumerReports } = stalledClient();
    client.closeAsSlowConsumer('history trimmed');
    client.closeAsSlowConsumer('history trimmed');
    socket.emitClose();
    expect(slowConsumerReports).toEqual([HIGH_WATER + 20 * KiB]);
    expect(socket.closes).toEqual([{ code: 1013, reason: 'history trimmed' }]);
    expect(ends).toEqual(['overflow']);
  });
});

describe('WsClient close', () => {
  it('sends everything queued, past the high-water mark, then closes with the code given', () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER;
    ['a', 'b', 'c'].forEach((name) => client.enqueue(frame(name)));

    client.close(1001, 'shutdown');

    expect(socket.calls.map((call) => call.kind)).toEqual(['send', 'send', 'send', 'close']);
    expect(sentNames(socket)).toEqual(['a', 'b', 'c']);
    expect(socket.closes).toEqual([{ code: 1001, reason: 'shutdown' }]);
    expect(socket.sent.map((call) => call.hasCallback)).toEqual([true, false, false]);
    expect(client.pendingBytes).toBe(HIGH_WATER);
    expect(client.isOpen).toBe(false);
  });

  it('ignores a second close and any frame enqueued after the first', () => {
    const { socket, client } = newClient();
    client.close(1000, 'bye');
    client.close(1001, 'shutdown');
    client.enqueue(frame('late'));
    expect(socket.calls).toEqual([{ kind: 'close', code: 1000, reason: 'bye' }]);
  });

  it("reports the end as 'closed' only once the socket has closed", () => {
    const { socket, client, ends } = newClient();
    client.close(1000, 'bye');
    expect(ends).toEqual([]);
    socket.emitClose(1000, 'bye');
    expect(ends).toEqual(['closed']);
  });

  it("reports a close by the peer as 'closed' and drops what was queued", () => {
    const { socket, client, ends } = newClient();
    socket.bufferedAmount = HIGH_WATER;
    ['a', 'b'].forEach((name) => client.enqueue(frame(name)));
    socket.emitClose(1000);
    socket.completeSend();
    expect(ends).toEqual(['closed']);
    expect(sentNames(socket)).toEqual(['a']);
    expect(client.isOpen).toBe(false);
    expect(client.pendingBytes).toBe(HIGH_WATER);
  });
});

describe('WsClient whenDrained', () => {
  it('resolves true at once when nothing waits', async () => {
    const { client } = newClient();
    expect(await settledValue(client.whenDrained())).toBe(true);
  });

  it('resolves true only once the queue has drained to the socket', async () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER;
    ['a', 'b', 'c'].forEach((name) => client.enqueue(frame(name)));
    const drained = client.whenDrained();
    expect(await settledValue(drained)).toBe('pending');

    socket.completeSend();
    expect(await settledValue(drained)).toBe('pending');

    socket.bufferedAmount = 0;
    socket.completeSend();
    expect(sentNames(socket)).toEqual(['a', 'b', 'c']);
    expect(await settledValue(drained)).toBe(true);
  });

  it("waits for the last frame's callback when that frame went out with one", async () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER;
    client.enqueue(frame('a'));
    const drained = client.whenDrained();
    expect(await settledValue(drained)).toBe('pending');
    socket.completeSend();
    expect(await settledValue(drained)).toBe(true);
  });

  it('resolves false when the connection closes before the queue drains', async () => {
    const { socket, client } = newClient();
    socket.bufferedAmount = HIGH_WATER;
    ['a', 'b'].forEach((name) => client.enqueue(frame(name)));
    const drained = client.whenDrained();
    socket.emitClose();
    expect(await settledValue(drained)).toBe(false);
  });

  it('resolves false when the client overflows while a producer waits', async () => {
    const { socket, client } = newClient({ limitBytes: HIGH_WATER + KiB });
    socket.bufferedAmount = HIGH_WATER;
    client.enqueue(frame('a'));
    const drained = client.whenDrained();
    client.enqueue(frame('b', 2 * KiB));
    socket.completeSend();
    expect(await settledValue(drained)).toBe(false);
  });

  it('resolves false at once on a closing client', async () => {
    const { client } = newClient();
    client.close(1000, 'bye');
    expect(await settledValue(client.whenDrained())).toBe(false);
  });
});

describe('WsClient keepalive', () => {
  it('pings on each tick while the peer answers with a pong or any message', () => {
    const { socket, client, ends } = newClient();
    client.keepAlive();
    socket.emit('pong');
    client.keepAlive();
    socket.emit('message', Buffer.from('{}'), false);
    client.keepAlive();
    expect(socket.pings).toBe(3);
    expect(socket.terminations).toBe(0);
    expect(ends).toEqual([]);
  });

  it("terminates a peer silent since the last ping, and reports the end as 'missed-pong' once", () => {
    const { socket, client, ends } = newClient();
    client.keepAlive();
    client.keepAlive();
    expect(socket.calls).toEqual([{ kind: 'ping' }, { kind: 'terminate' }]);
    expect(ends).toEqual([]);

    socket.emitClose();
    client.keepAlive();
    expect(ends).toEqual(['missed-pong']);
  });

  it('terminates after a later silent tick too, once the peer stops answering', () => {
    const { socket, client } = newClient();
    client.keepAlive();
    socket.emit('pong');
    client.keepAlive();
    client.keepAlive();
    expect(socket.calls).toEqual([{ kind: 'ping' }, { kind: 'ping' }, { kind: 'terminate' }]);
  });

  it('takes no more frames once it has terminated a silent peer', () => {
    const { socket, client, ends, slowConsumerReports } = newClient({ limitBytes: 100 * KiB });
    client.keepAlive();
    client.keepAlive();
    expect(client.isOpen).toBe(false);
    client.enqueue(frame('late'));
    socket.bufferedAmount = 100 * KiB; // ws counts frames sent after terminate here
    client.enqueue(frame('burst'));
    socket.emitClose();
    expect(socket.sent).toEqual([]);
    expect(slowConsumerReports).toEqual([]);
    expect(ends).toEqual(['missed-pong']);
  });

  it('keeps the reason of a client closing as a slow consumer when a heartbeat then cuts it off', () => {
    const { socket, client, ends } = newClient({ limitBytes: 100 * KiB });
    client.keepAlive(); // ping; the stalled peer cannot answer
    socket.bufferedAmount = 100 * KiB;
    client.enqueue(frame('a', 1));
    expect(socket.closes).toEqual([{ code: 1013, reason: 'send queue overflow' }]);
    client.keepAlive(); // next tick: no pong, so the closing socket is terminated
    socket.emitClose();
    expect(ends).toEqual(['overflow']);
  });
});

describe('WsClient token expiry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes with 4001 on a check once the token has expired', () => {
    const { socket, client, ends } = newClient({ expiresAtMs: Date.now() - 1 });
    expect(client.checkExpired()).toBe(true);
    expect(socket.closes).toEqual([{ code: 4001, reason: 'token expired' }]);
    socket.emitClose(4001);
    expect(ends).toEqual(['closed']);
  });

  it('leaves a connection whose token is still valid open on a check', () => {
    const { socket, client } = newClient({ expiresAtMs: Date.now() + 60_000 });
    expect(client.checkExpired()).toBe(false);
    expect(socket.closes).toEqual([]);
    socket.emitClose();
  });

  it('closes with 4001 when the token expires, after sending what was queued', () => {
    vi.useFakeTimers();
    const { socket, client } = newClient({ expiresAtMs: Date.now() + 5000 });
    socket.bufferedAmount = HIGH_WATER;
    ['a', 'b'].forEach((name) => client.enqueue(frame(name)));

    vi.advanceTimersByTime(4999);
    expect(socket.closes).toEqual([]);
    expect(client.checkExpired()).toBe(false);

    vi.advanceTimersByTime(1);
    expect(sentNames(socket)).toEqual(['a', 'b']);
    expect(socket.calls.at(-1)).toEqual({ kind: 'close', code: 4001, reason: 'token expired' });
  });

  it('stops its expiry timer when the socket closes', () => {
    vi.useFakeTimers();
    const { socket } = newClient({ expiresAtMs: Date.now() + 5000 });
    expect(vi.getTimerCount()).toBe(1);
    socket.emitClose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never closes a connection whose token does not expire', () => {
    vi.useFakeTimers();
    const { socket, client } = newClient();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(365 * DAY_MS);
    expect(client.checkExpired()).toBe(false);
    expect(socket.calls).toEqual([]);
  });

  it('sets no timer for an expiry beyond what setTimeout can wait, and still closes on a check after it', () => {
    vi.useFakeTimers();
    const expiresAtMs = Date.now() + 30 * DAY_MS;
    const { socket, client } = newClient({ expiresAtMs });
    expect(vi.getTimerCount()).toBe(0);
    expect(client.checkExpired()).toBe(false);
    vi.setSystemTime(expiresAtMs);
    expect(client.checkExpired()).toBe(true);
    expect(socket.closes).toEqual([{ code: 4001, reason: 'token expired' }]);
  });
});

describe('WsClient end report', () => {
  const endings: [string, ClientEnd, (client: WsClient, socket: FakeSocket) => void][] = [
    ['an overflow', 'overflow', (client) => client.closeAsSlowConsumer('too slow')],
    ['a close', 'closed', (client) => client.close(1001, 'shutdown')],
    [
      'a missed pong',
      'missed-pong',
      (client) => {
        client.keepAlive();
        client.keepAlive();
      },
    ],
    ['the peer', 'closed', () => undefined],
  ];

  it.each(endings)('reports an end by %s exactly once, when the socket closes', (_name, expected, end) => {
    const { socket, client, ends, endedClients } = newClient({ expiresAtMs: Date.now() + 60_000 });
    end(client, socket);
    expect(ends).toEqual([]);

    socket.emitClose();
    socket.emitClose();
    client.close(1000, 'bye');
    client.closeAsSlowConsumer('late');
    client.enqueue(frame('late'));

    expect(ends).toEqual([expected]);
    expect(endedClients).toEqual([client]);
    expect(client.isOpen).toBe(false);
    expect(sentNames(socket)).toEqual([]);
  });
});
