import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { LeaveRoom } from '../../usecase/leave-room.js';
import type { PublishEvent } from '../../usecase/publish-event.js';
import { CloseCode } from '../hub/close-codes.js';
import { type SubscriptionStartDeps, startSubscription, typeSet } from '../hub/subscription-start.js';
import type { KeyedRateLimiter, RateVerdict } from '../rate-limiter.js';
import { type ClientOp, parseClientFrame } from './client-ops.js';
import { type FrameId, encodeError, encodeOk } from './codec.js';
import type { WsClient } from './ws-client.js';
import { SessionError, errorFrame } from './ws-errors.js';

/** What a session needs, shared by every connection. */
export interface WsSessionDeps extends SubscriptionStartDeps {
  readonly leaveRoom: LeaveRoom;
  readonly publishEvent: PublishEvent;
  readonly maxSubscriptions: number;
  /** Ops per connection; a connection still over it 10 s after its first refusal is closed (1008). */
  readonly opLimiter: KeyedRateLimiter;
  readonly logger: Logger;
}

/** Over the rate this long (without a second's pause in refusals): closed with 1008. */
const SUSTAINED_ABUSE_MS = 10_000;

/**
 * Runs one connection's ops, one at a time and in arrival order, so that replies come back in
 * the order the frames were sent and a join is complete before the next op looks at it.
 */
export class WsSession {
  private tail: Promise<void> = Promise.resolve();
  private readonly limiterKey = randomUUID();
  /** When the connection began to go over its rate; undefined while it keeps within it. */
  private limitedSince: number | undefined;
  private lastRefusedAt = 0;
  private hasFailed = false;

  constructor(
    private readonly client: WsClient,
    private readonly deps: WsSessionDeps,
  ) {}

  /** Takes one frame off the socket; its reply is sent after the replies to earlier frames. */
  receive(data: Buffer, isBinary: boolean): void {
    // Counted on arrival, so a burst is judged by when it came, not by when it is served.
    const verdict = this.deps.opLimiter.consume(this.limiterKey);
    // Handled at once, since it may wait behind a slow op; `run` still meets the rejection when it awaits it.
    verdict.catch(() => undefined);
    // An op's own errors become error replies; one that escapes is a fault of the server: it ends
    // this connection (1011), never the process, and is logged.
    this.tail = this.tail.then(() => this.run(data, isBinary, verdict)).catch((error: unknown) => this.fail(error));
  }

  private async run(data: Buffer, isBinary: boolean, pendingVerdict: Promise<RateVerdict>): Promise<void> {
    const verdict = await pendingVerdict;
    // After a failure the connection is closing with 1011: the ops queued behind it are dropped.
    if (this.hasFailed) return;
    // An expired token ends the connection (4001) before any more of its ops run.
    if (this.client.checkExpired()) return;
    if (!verdict.isAllowed) {
      this.refuseOverRate(data, isBinary, verdict.retryAfterMs);
      return;
    }
    // A whole second without a refusal: the connection is back within its rate.
    if (Date.now() - this.lastRefusedAt > 1000) this.limitedSince = undefined;
    if (isBinary) {
      this.client.enqueue(encodeError(undefined, 'invalid_message', 'frames must be text'));
      return;
    }
    const parsed = parseClientFrame(data.toString('utf8'));
    if ('problem' in parsed) {
      const { id, code, message } = parsed.problem;
      this.client.enqueue(encodeError(id, code, message));
      return;
    }
    const { op, id } = parsed;
    try {
      // A join sends its own reply: the ok must go out before the room's events do.
      if (op.op === 'join') await this.join(op, id);
      else this.client.enqueue(encodeOk(id, await this.execute(op)));
    } catch (error) {
      this.client.enqueue(errorFrame(id, error, this.deps.logger, this.client.user.id));
    }
  }

  private fail(error: unknown): void {
    this.hasFailed = true;
    this.deps.logger.error({ err: error, userId: this.client.user.id }, 'websocket op failed; closing the connection');
    this.client.close(CloseCode.InternalError, 'internal error');
  }

  private async execute(op: Exclude<ClientOp, { op: 'join' }>): Promise<Record<string, unknown>> {
    const { hub } = this.deps;
    const user = this.client.user;
    switch (op.op) {
      case 'unsubscribe':
        this.requireSubscription(op.room);
        hub.unsubscribe(this.client, op.room);
        return { room: op.room };
      case 'leave':
        await this.deps.leaveRoom.execute(user, op.room);
        return { room: op.room };
      case 'filter':
        this.requireSubscription(op.room);
        hub.setFilter(this.client, op.room, typeSet(op.types));
        return { room: op.room };
      case 'publish':
        return {
          seq: (await this.deps.publishEvent.execute(user, op.room, op.type, op.data, op.idempotencyKey)).seq,
        };
    }
  }

  private async join(op: Extract<ClientOp, { op: 'join' }>, id: FrameId): Promise<void> {
    const { hub } = this.deps;
    if (!hub.isSubscribed(this.client, op.room) && hub.subscriptionsOf(this.client) >= this.deps.maxSubscriptions) {
      throw new SessionError(
        'too_many_subscriptions',
        `a connection may hold at most ${this.deps.maxSubscriptions} subscriptions`,
      );
    }
    const request = { ...op, types: typeSet(op.types), wantsPresence: op.presence !== false };
    await startSubscription(this.deps, this.client, request, {
      announce: (announcement) => this.client.enqueue(encodeOk(id, { ...announcement })),
      failed: (error) => this.fail(error),
    });
  }

  private refuseOverRate(data: Buffer, isBinary: boolean, retryAfterMs: number): void {
    const now = Date.now();
    this.limitedSince ??= now;
    this.lastRefusedAt = now;
    if (now - this.limitedSince >= SUSTAINED_ABUSE_MS) {
      this.client.close(CloseCode.PolicyViolation, 'rate limit exceeded for too long');
      return;
    }
    const parsed = isBinary ? undefined : parseClientFrame(data.toString('utf8'));
    const id = parsed === undefined ? undefined : 'op' in parsed ? parsed.id : parsed.problem.id;
    this.client.enqueue(encodeError(id, 'rate_limited', `too many ops; retry after ${retryAfterMs} ms`));
  }

  private requireSubscription(roomId: string): void {
    if (!this.deps.hub.isSubscribed(this.client, roomId)) {
      throw new SessionError('not_subscribed', `this connection does not receive room '${roomId}'`);
    }
  }
}
