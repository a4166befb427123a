import { afterEach, describe, expect, it, vi } from 'vitest';
import { HistoryTrimmed, PayloadTooLarge, RoomNotFound } from '../../../src/domain/errors.js';
import { Room } from '../../../src/domain/room.js';
import type { RoomEvent } from '../../../src/domain/room-event.js';
import type { User } from '../../../src/domain/user.js';
import type { LeaveRoom } from '../../../src/usecase/leave-room.js';
import type { PublishEvent } from '../../../src/usecase/publish-event.js';
import type { ResumeRoom, Resumption } from '../../../src/usecase/resume-room.js';
import { KeyedRateLimiter, type RateVerdict } from '../../../src/web/rate-limiter.js';
import { type Frame, WEBSOCKET_ENCODING } from '../../../src/web/ws/codec.js';
import { capturingLogger } from '../../support/capturing-logger.js';
import { gate, nextTurn } from '../../support/gate.js';
import { Hub } from '../../../src/web/hub/hub.js';
import type { HubClient } from '../../../src/web/hub/hub-client.js';
import type { OutboundMessage } from '../../../src/web/hub/outbound-message.js';
import type { WsClient } from '../../../src/web/ws/ws-client.js';
import { WsSession } from '../../../src/web/ws/ws-session.js';
import { person, roomEvent } from '../../support/fakes/fixtures.js';

/** A frame the session sent, parsed. */
type SentFrame = Record<string, unknown> & { op: string };

/**
 * Stands in for a WsClient: keeps every frame parsed and every close, and lets a test wait for
 * a condition, checked again after each frame and each close.
 */
class FakeSessionClient implements HubClient {
  readonly frames: SentFrame[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  readonly slowConsumerCloses: string[] = [];
  isOpen = true;
  readonly queueLimit = 1024 * 1024;
  pendingBytes = 0;
  /** Set by a test: the token has expired; `checkExpired` then closes with 4001, as WsClient does. */
  isExpired = false;
  private waiters: (() => void)[] = [];

  constructor(readonly user: User) {}

  enqueue(frame: Frame): void {
    this.frames.push(JSON.parse(frame.payload.toString('utf8')) as SentFrame);
    this.notify();
  }

  deliver(message: OutboundMessage): void {
    this.enqueue(message.encodedAs(WEBSOCKET_ENCODING));
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
    this.notify();
  }

  closeAsSlowConsumer(reason: string): void {
    this.slowConsumerCloses.push(reason);
    this.notify();
  }

  keepAlive(): void {}

  evicted(): void {}

  checkExpired(): boolean {
    if (this.isExpired) this.close(4001, 'token expired');
    return this.isExpired;
  }

  whenDrained(): Promise<boolean> {
    return Promise.resolve(this.isOpen);
  }

  /** The `event` pushes received, as `room:seq`. */
  get received(): string[] {
    return this.frames.filter((frame) => frame.op === 'event').map((frame) => `${frame.room}:${frame.seq}`);
  }

  /** Resolves once `probe` holds; rejects, saying what the client got, if it does not within `timeoutMs`. */
  until(probe: () => boolean, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
      };
      const check = () => {
        if (!probe()) return;
        stop();
        resolve();
      };
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(
            `not met within ${timeoutMs} ms; frames ${JSON.stringify(this.frames)}, closes ${JSON.stringify(this.closes)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function lobby(lastSeq: number): Room {
  return new Room('lobby', 'Lobby', 1000, lastSeq, 'epoch-1', new Date(Date.UTC(2024, 0, 1)), 1);
}

function pages(...batches: RoomEvent[][]): AsyncIterable<RoomEvent[]> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* batches;
    },
  };
}

/** A join of a room with nothing missed: the resumption of a join without `since`. */
async function freshJoin(_user: User, roomId: string): Promise<Resumption> {
  return { room: new Room(roomId, roomId, 1000, 0, 'epoch-1', new Date(0), 1), recovered: undefined, missed: pages() };
}

/** A session for ann over a real Hub, with use cases and a limiter the test controls. */
function sessionFor(options: { maxSubscriptions?: number; opLimiter?: Pick<KeyedRateLimiter, 'consume'> } = {}) {
  const { logger, lines } = capturingLogger();
  const hub = new Hub((error) => {
    throw error;
  });
  const client = new FakeSessionClient(person('ann'));
  hub.register(client);
  const resumeRoom = { execute: vi.fn<ResumeRoom['execute']>(freshJoin) };
  const leaveRoom = { execute: vi.fn<LeaveRoom['execute']>(async () => true) };
  let lastSeq = 0;
  const publishEvent = {
    execute: vi.fn<PublishEvent['execute']>(async (user, room, type, data) => ({
      room,
      seq: ++lastSeq,
      type,
      data,
      sender: user.id,
      at: new Date(),
    })),
  };
  const session = new WsSession(client as unknown as WsClient, {
    hub,
    resumeRoom: resumeRoom as unknown as ResumeRoom,
    leaveRoom: leaveRoom as unknown as LeaveRoom,
    publishEvent: publishEvent as unknown as PublishEvent,
    maxSubscriptions: options.maxSubscriptions ?? 100,
    presenceSynced: async () => {},
    opLimiter: (options.opLimiter ?? new KeyedRateLimiter({ perSecond: 1000, burst: 1000 })) as KeyedRateLimiter,
    logger,
  });
  let sent = 0;
  const receive = (data: Buffer, isBinary: boolean) => {
    sent += 1;
    session.receive(data, isBinary);
  };
  const send = (frame: unknown) => receive(Buffer.from(JSON.stringify(frame)), false);
  /** Sends the frames and resolves to their replies once every frame sent so far has its reply. */
  const exchange = async (...frames: unknown[]): Promise<SentFrame[]> => {
    frames.forEach(send);
    const replies = () => client.frames.filter((frame) => frame.op === 'ok' || frame.op === 'error');
    await client.until(() => replies().length >= sent);
    return replies().slice(-frames.length);
  };
  return { client, hub, lines, resumeRoom, leaveRoom, publishEvent, receive, send, exchange };
}

describe('WsSession ordering', () => {
  it('replies in the order the frames were sent, even when an earlier op is slow', async () => {
    const { client, publishEvent, send } = sessionFor();
    const slow = gate<RoomEvent>();
    publishEvent.execute.mockImplementationOnce(() => slow.wait());

    send({ id: 1, op: 'publish', room: 'lobby', type: 'chat', data: 'slow' });
    send({ id: 2, op: 'unsubscribe', room: 'lobby' });
    send({ id: 3, op: 'publish', room: 'lobby', type: 'chat', data: 'fast' });
    await slow.started;
    await nextTurn();
    expect(client.frames).toEqual([]);
    expect(publishEvent.execute).toHaveBeenCalledTimes(1);

    slow.resolve(roomEvent('lobby', 7));
    await client.until(() => client.frames.length === 3);
    expect(client.frames.map((frame) => [frame.id, frame.op])).toEqual([
      [1, 'ok'],
      [2, 'error'],
      [3, 'ok'],
    ]);
    expect(client.frames[0]).toEqual({ op: 'ok', id: 1, seq: 7 });
  });

  it('sends the ok of a join first, then the filtered replay, then live events once each', async () => {
    const { client, hub, resumeRoom, send } = sessionFor();
    const resumed = gate<Resumption>();
    resumeRoom.execute.mockImplementationOnce(() => resumed.wait());

    send({ id: 'j', op: 'join', room: 'lobby', since: 0, types: ['chat'] });
    await resumed.started;
    // Committed while the join reads the room: held until the replay is done.
    hub.push(roomEvent('lobby', 4, 'chat'));
    resumed.resolve({
      room: lobby(3),
      recovered: true,
      missed: pages([roomEvent('lobby', 1, 'chat'), roomEvent('lobby', 2, 'typing')], [roomEvent('lobby', 3, 'chat')]),
    });
    await client.until(() => client.received.includes('lobby:4'));

    hub.push(roomEvent('lobby', 4, 'chat'));
    hub.push(roomEvent('lobby', 5, 'typing'));
    hub.push(roomEvent('lobby', 6, 'chat'));
    expect(client.frames[0]).toEqual({ op: 'ok', id: 'j', room: 'lobby', epoch: 'epoch-1', seq: 3, recovered: true });
    expect(client.frames.slice(1).every((frame) => frame.op === 'event')).toBe(true);
    expect(client.received).toEqual(['lobby:1', 'lobby:3', 'lobby:4', 'lobby:6']);
    expect(resumeRoom.execute).toHaveBeenCalledWith(client.user, 'lobby', expect.objectContaining({ since: 0 }));
  });

  it('does not go live when the connection ended during the replay', async () => {
    const { client, hub, resumeRoom, exchange } = sessionFor();
    client.isOpen = false;
    resumeRoom.execute.mockResolvedValueOnce({
      room: lobby(1),
      recovered: true,
      missed: pages([roomEvent('lobby', 1)]),
    });

    // Ops run one at a time: the reply to the filter means the join has finished.
    const replies = await exchange(
      { id: 1, op: 'join', room: 'lobby', since: 0 },
      { id: 2, op: 'filter', room: 'lobby', types: null },
    );
    hub.push(roomEvent('lobby', 2));
    expect(replies.map((reply) => [reply.id, reply.op])).toEqual([
      [1, 'ok'],
      [2, 'ok'],
    ]);
    expect(client.received).toEqual(['lobby:1']);
  });

  it('closes as a slow consumer when the history is trimmed under the replay, and does not go live', async () => {
    const { client, hub, resumeRoom, exchange } = sessionFor();
    const trimmed: AsyncIterable<RoomEvent[]> = {
      async *[Symbol.asyncIterator]() {
        yield [roomEvent('lobby', 1)];
        throw new HistoryTrimmed('events after seq 1 are no longer kept');
      },
    };
    resumeRoom.execute.mockResolvedValueOnce({ room: lobby(3), recovered: true, missed: trimmed });

    await exchange({ id: 1, op: 'join', room: 'lobby', since: 0 }, { id: 2, op: 'filter', room: 'lobby', types: null });
    hub.push(roomEvent('lobby', 4));
    expect(client.slowConsumerCloses).toEqual(['history trimmed during replay; rejoin with since']);
    expect(client.received).toEqual(['lobby:1']);
  });
});

describe('WsSession join failing after its ok', () => {
  it('ends the connection with 1011 when the replay fails, with no second reply, and never goes live', async () => {
    const { client, hub, lines, resumeRoom, send } = sessionFor();
    const failing: AsyncIterable<RoomEvent[]> = {
      async *[Symbol.asyncIterator]() {
        yield [roomEvent('lobby', 1)];
        throw new Error('database connection lost');
      },
    };
    resumeRoom.execute.mockResolvedValueOnce({ room: lobby(3), recovered: true, missed: failing });

    send({ id: 1, op: 'join', room: 'lobby', since: 0 });
    await client.until(() => client.closes.length > 0);
    hub.push(roomEvent('lobby', 4));

    expect(client.frames).toEqual([
      expect.objectContaining({ op: 'ok', id: 1, room: 'lobby', seq: 3, recovered: true }),
      expect.objectContaining({ op: 'event', room: 'lobby', seq: 1 }),
    ]);
    expect(client.closes).toEqual([{ code: 1011, reason: 'internal error' }]);
    expect(lines.find((line) => line.msg === 'websocket op failed; closing the connection')).toMatchObject({
      level: 50,
      err: { message: 'database connection lost' },
    });
  });
});

describe('WsSession ops', () => {
  it('unsubscribes, refilters and leaves a room the connection holds', async () => {
    const { client, hub, leaveRoom, exchange } = sessionFor();
    await exchange({ id: 1, op: 'join', room: 'lobby' });
    const replies = await exchange(
      { id: 2, op: 'filter', room: 'lobby', types: ['chat'] },
      { id: 3, op: 'unsubscribe', room: 'lobby' },
      { id: 4, op: 'leave', room: 'lobby' },
    );
    expect(replies).toEqual([
      { op: 'ok', id: 2, room: 'lobby' },
      { op: 'ok', id: 3, room: 'lobby' },
      { op: 'ok', id: 4, room: 'lobby' },
    ]);
    expect(hub.isSubscribed(client, 'lobby')).toBe(false);
    expect(leaveRoom.execute).toHaveBeenCalledWith(client.user, 'lobby');
  });

  it('publishes as the connected user and replies with the seq', async () => {
    const { client, publishEvent, exchange } = sessionFor();
    const replies = await exchange({ id: 'p', op: 'publish', room: 'lobby', type: 'chat', data: { text: 'hi' } });
    expect(replies).toEqual([{ op: 'ok', id: 'p', seq: 1 }]);
    expect(publishEvent.execute).toHaveBeenCalledWith(client.user, 'lobby', 'chat', { text: 'hi' }, undefined);
  });

  it('passes the idempotency key of a publish on', async () => {
    const { client, publishEvent, exchange } = sessionFor();
    const frame = { id: 'p', op: 'publish', room: 'lobby', type: 'chat', data: 1, idempotencyKey: 'order-7' };
    expect(await exchange(frame)).toEqual([{ op: 'ok', id: 'p', seq: 1 }]);
    expect(publishEvent.execute).toHaveBeenCalledWith(client.user, 'lobby', 'chat', 1, 'order-7');
  });
});

describe('WsSession error replies', () => {
  it('keeps the code of a domain error, and a failed join holds no subscription', async () => {
    const { client, hub, resumeRoom, exchange } = sessionFor();
    resumeRoom.execute.mockRejectedValueOnce(new RoomNotFound('nowhere'));
    const replies = await exchange({ id: 1, op: 'join', room: 'nowhere' });
    expect(replies).toEqual([{ op: 'error', id: 1, code: 'room_not_found', message: "room 'nowhere' does not exist" }]);
    expect(hub.isSubscribed(client, 'nowhere')).toBe(false);
  });

  it('reports payload_too_large as invalid_request', async () => {
    const { publishEvent, exchange } = sessionFor();
    publishEvent.execute.mockRejectedValueOnce(new PayloadTooLarge('data is too big'));
    const replies = await exchange({ id: 1, op: 'publish', room: 'lobby', type: 'chat', data: 'x' });
    expect(replies).toEqual([{ op: 'error', id: 1, code: 'invalid_request', message: 'data is too big' }]);
  });

  it('answers not_subscribed to an unsubscribe or filter of a room the connection does not hold', async () => {
    const { exchange } = sessionFor();
    const replies = await exchange(
      { id: 1, op: 'unsubscribe', room: 'lobby' },
      { id: 2, op: 'filter', room: 'lobby', types: null },
    );
    expect(replies.map((reply) => [reply.id, reply.code])).toEqual([
      [1, 'not_subscribed'],
      [2, 'not_subscribed'],
    ]);
  });

  it('answers too_many_subscriptions past the limit, but lets a held room be joined again', async () => {
    const { resumeRoom, exchange } = sessionFor({ maxSubscriptions: 2 });
    const replies = await exchange(
      { id: 1, op: 'join', room: 'a' },
      { id: 2, op: 'join', room: 'b' },
      { id: 3, op: 'join', room: 'c' },
      { id: 4, op: 'join', room: 'a' },
    );
    expect(replies.map((reply) => [reply.id, reply.op, reply.code])).toEqual([
      [1, 'ok', undefined],
      [2, 'ok', undefined],
      [3, 'error', 'too_many_subscriptions'],
      [4, 'ok', undefined],
    ]);
    expect(resumeRoom.execute).toHaveBeenCalledTimes(3);
  });

  it('answers invalid_message to a binary frame and to a frame that is not JSON, unknown_op to an unknown op', async () => {
    const { client, receive, exchange } = sessionFor();
    receive(Buffer.from('{"op":"join","room":"lobby"}'), true);
    receive(Buffer.from('not json'), false);
    const [unknown] = await exchange({ id: 9, op: 'subscribe', room: 'lobby' });
    expect(client.frames.slice(0, 2)).toEqual([
      { op: 'error', code: 'invalid_message', message: 'frames must be text' },
      { op: 'error', code: 'invalid_message', message: 'frame is not valid JSON' },
    ]);
    expect(unknown).toMatchObject({ op: 'error', id: 9, code: 'unknown_op' });
  });

  it('answers internal_error without the cause to an unexpected error, and logs it at error', async () => {
    const { client, lines, publishEvent, exchange } = sessionFor();
    publishEvent.execute.mockRejectedValueOnce(new Error('connection to db-7.internal refused'));
    const replies = await exchange({ id: 1, op: 'publish', room: 'lobby', type: 'chat', data: 1 });
    expect(replies).toEqual([{ op: 'error', id: 1, code: 'internal_error', message: 'internal error' }]);
    expect(lines.find((line) => line.msg === 'websocket op failed')).toMatchObject({
      level: 50,
      userId: 'ann',
      err: { message: 'connection to db-7.internal refused' },
    });
    expect(client.closes).toEqual([]);
  });
});

describe('WsSession faults', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    unhandled.length = 0;
  });

  it('ends the connection with 1011 when an error escapes an op, logs it, and runs none of the later frames', async () => {
    process.on('unhandledRejection', onUnhandled);
    // A plain function, not vi.fn: a spy watches the promises it returns, which would hide an unhandled one.
    let calls = 0;
    const consume = async (): Promise<RateVerdict> => {
      calls += 1;
      if (calls === 1) throw new Error('limiter store unreachable');
      return { isAllowed: true };
    };
    const { client, lines, publishEvent, leaveRoom, resumeRoom, send } = sessionFor({ opLimiter: { consume } });

    send({ id: 1, op: 'publish', room: 'lobby', type: 'chat', data: 1 });
    send({ id: 2, op: 'publish', room: 'lobby', type: 'chat', data: 2 });
    send({ id: 3, op: 'leave', room: 'lobby' });
    await client.until(() => client.closes.length > 0);
    send({ id: 4, op: 'join', room: 'lobby' });
    await nextTurn();
    await nextTurn();

    expect(client.closes).toEqual([{ code: 1011, reason: 'internal error' }]);
    expect(client.frames).toEqual([]);
    expect(publishEvent.execute).not.toHaveBeenCalled();
    expect(leaveRoom.execute).not.toHaveBeenCalled();
    expect(resumeRoom.execute).not.toHaveBeenCalled();
    expect(lines.find((line) => line.msg === 'websocket op failed; closing the connection')).toMatchObject({
      level: 50,
      userId: 'ann',
      err: { message: 'limiter store unreachable' },
    });
    expect(unhandled).toEqual([]);
  });

  it('does not leave a rejected verdict unhandled while an earlier op is still running', async () => {
    process.on('unhandledRejection', onUnhandled);
    let isStoreDown = false;
    const consume = async (): Promise<RateVerdict> => {
      if (isStoreDown) throw new Error('limiter store unreachable');
      return { isAllowed: true };
    };
    const { client, publishEvent, send } = sessionFor({ opLimiter: { consume } });
    const slow = gate<RoomEvent>();
    publishEvent.execute.mockImplementationOnce(() => slow.wait());

    send({ id: 1, op: 'publish', room: 'lobby', type: 'chat', data: 1 });
    await slow.started;
    isStoreDown = true;
    send({ id: 2, op: 'publish', room: 'lobby', type: 'chat', data: 2 });
    await nextTurn();
    await nextTurn();
    slow.resolve(roomEvent('lobby', 1));
    await client.until(() => client.closes.length > 0);

    expect(client.frames).toEqual([{ op: 'ok', id: 1, seq: 1 }]);
    expect(client.closes).toEqual([{ code: 1011, reason: 'internal error' }]);
    expect(unhandled).toEqual([]);
  });

  it('runs no op once the token has expired', async () => {
    const { client, publishEvent, leaveRoom, send } = sessionFor();
    client.isExpired = true;
    send({ id: 1, op: 'publish', room: 'lobby', type: 'chat', data: 1 });
    send({ id: 2, op: 'leave', room: 'lobby' });
    await client.until(() => client.closes.length === 2);
    expect(client.closes[0]).toEqual({ code: 4001, reason: 'token expired' });
    expect(client.frames).toEqual([]);
    expect(publishEvent.execute).not.toHaveBeenCalled();
    expect(leaveRoom.execute).not.toHaveBeenCalled();
  });
});

describe('WsSession rate limit', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A limiter that refuses while `isRefusing` is set. */
  function switchableLimiter() {
    const state = { isRefusing: true };
    const consume = async (): Promise<RateVerdict> =>
      state.isRefusing ? { isAllowed: false, retryAfterMs: 250 } : { isAllowed: true };
    return { state, limiter: { consume } };
  }

  it('answers rate_limited with the id of each frame over the rate, and runs none of them', async () => {
    const { publishEvent, exchange } = sessionFor({ opLimiter: new KeyedRateLimiter({ perSecond: 1, burst: 2 }) });
    const replies = await exchange(
      { id: 'a', op: 'publish', room: 'lobby', type: 'chat', data: 1 },
      { id: 'b', op: 'publish', room: 'lobby', type: 'chat', data: 2 },
      { id: 'c', op: 'publish', room: 'lobby', type: 'chat', data: 3 },
      { id: 'd', op: 'nonsense' },
    );
    expect(replies.map((reply) => [reply.id, reply.op, reply.code])).toEqual([
      ['a', 'ok', undefined],
      ['b', 'ok', undefined],
      ['c', 'error', 'rate_limited'],
      ['d', 'error', 'rate_limited'],
    ]);
    expect(replies[2]!.message).toMatch(/^too many ops; retry after \d+ ms$/);
    expect(publishEvent.execute).toHaveBeenCalledTimes(2);
  });

  it('closes with 1008 after 10 s of sustained refusals', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(0);
    const { limiter } = switchableLimiter();
    const { client, exchange, send } = sessionFor({ opLimiter: limiter });

    for (let at = 0; at < 10_000; at += 500) {
      vi.setSystemTime(at);
      const [reply] = await exchange({ id: at, op: 'leave', room: 'lobby' });
      expect(reply).toEqual({ op: 'error', id: at, code: 'rate_limited', message: 'too many ops; retry after 250 ms' });
    }
    vi.setSystemTime(10_000);
    send({ id: 'last', op: 'leave', room: 'lobby' });
    await client.until(() => client.closes.length === 1);
    expect(client.closes).toEqual([{ code: 1008, reason: 'rate limit exceeded for too long' }]);
    expect(client.frames).toHaveLength(20);
  });

  it('forgives a connection that kept within its rate for over a second', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(0);
    const { state, limiter } = switchableLimiter();
    const { client, exchange } = sessionFor({ opLimiter: limiter });

    await exchange({ id: 1, op: 'leave', room: 'lobby' });
    vi.setSystemTime(9_000);
    await exchange({ id: 2, op: 'leave', room: 'lobby' });
    state.isRefusing = false;
    vi.setSystemTime(10_100);
    const [allowed] = await exchange({ id: 3, op: 'leave', room: 'lobby' });
    state.isRefusing = true;
    vi.setSystemTime(19_000);
    const [refused] = await exchange({ id: 4, op: 'leave', room: 'lobby' });

    expect(allowed).toEqual({ op: 'ok', id: 3, room: 'lobby' });
    expect(refused).toMatchObject({ op: 'error', id: 4, code: 'rate_limited' });
    expect(client.closes).toEqual([]);
  });
});
