import type {
  ConnectCommand,
  ConnectResult,
  HammerCommand,
  HammerResult,
  PublishCommand,
  PublishResult,
  SettleResult,
  StormCommand,
  StormResult,
  TargetAddress,
} from '../shared/commands.js';
import { forEachConcurrently } from '../shared/concurrency.js';
import { cpuSnapshot, cpuUsage } from '../shared/proc-stats.js';
import { type ClientProtocol, type Resume, clientProtocol } from './client-protocols.js';
import { DeliverySink } from './delivery-sink.js';
import { PostTally, Publisher, publishAtRate, publishBackToBack } from './publisher.js';
import { summarise } from './stats.js';
import { StreamSubscriber } from './stream-subscriber.js';
import { Subscriber } from './subscriber.js';
import { UserTokens } from './user-tokens.js';

const DRAIN_POLL_MS = 20;
/** Delivery is over when this many polls in a row (about half a second) saw nothing arrive. */
const DRAIN_QUIET_POLLS = 25;
const DRAIN_LIMIT_MS = 30_000;
/** How long `settle` waits at most for the frames to stop (1,000 users joining one room: about 1.1M frames). */
const SETTLE_LIMIT_MS = 180_000;

/** Runs the harness's commands against one target: subscribers, publishers, and the CPU windows around them. */
export class LoadGenerator {
  private readonly protocol: ClientProtocol;
  private readonly sink = new DeliverySink();
  private readonly publisher: Publisher;
  private subscribers: (Subscriber | StreamSubscriber)[] = [];
  private userTokens: UserTokens | undefined;
  /** The sink's count when the last connect began: `settle` reports the frames since. */
  private deliveredBeforeConnect = 0;

  constructor(private readonly target: TargetAddress) {
    this.protocol = clientProtocol(target);
    this.publisher = new Publisher(target.host, target.port, this.protocol);
  }

  async connect(command: ConnectCommand): Promise<ConnectResult> {
    this.deliveredBeforeConnect = this.sink.delivered;
    const isStream = command.transport === 'sse';
    // Tokens are signed (and streaming users made members) before the clock starts: what is timed is the server's work.
    const fresh = await Promise.all(
      command.rooms.flatMap((room) =>
        Array.from({ length: command.perRoom }, async () => {
          const token = command.asUsers ? await this.userToken(room) : this.target.token!;
          if (isStream) return new StreamSubscriber(room, token, this.sink);
          const protocol = command.asUsers ? clientProtocol(this.target, token) : this.protocol;
          return new Subscriber(room, protocol, this.sink);
        }),
      ),
    );
    if (isStream && command.asUsers) await this.becomeMembers(fresh as StreamSubscriber[], command.concurrency);
    this.subscribers.push(...fresh);
    let firstError: string | undefined;
    const opened: (Subscriber | StreamSubscriber)[] = [];
    const before = cpuSnapshot(this.target.serverPid);
    const sources = command.sourceAddresses ?? [];
    const sourceOf = new Map(fresh.map((subscriber, k) => [subscriber, sources[k % sources.length]]));
    await forEachConcurrently(fresh, command.concurrency, (subscriber) =>
      subscriber.open(this.target.host, this.target.port, sourceOf.get(subscriber)).then(
        () => void opened.push(subscriber),
        (error: Error) => void (firstError ??= error.message),
      ),
    );
    const handshaken = cpuSnapshot(this.target.serverPid);
    let subscribed = 0;
    await forEachConcurrently(opened, command.concurrency, (subscriber) =>
      subscriber.subscribe().then(
        () => void subscribed++,
        (error: Error) => void (firstError ??= error.message),
      ),
    );
    const after = cpuSnapshot(this.target.serverPid);
    return {
      opened: subscribed,
      failed: fresh.length - subscribed,
      firstError,
      handshakeMs: handshaken.atMs - before.atMs,
      subscribeMs: this.protocol.subscribeFrame || isStream ? after.atMs - handshaken.atMs : 0,
      handshake: cpuUsage(before, handshaken),
      subscribe: cpuUsage(handshaken, after),
    };
  }

  /** Resolves once no frame has come for about half a second: whatever the connects set off is over. */
  async settle(): Promise<SettleResult> {
    const startedAt = performance.now();
    const { lastProgressAt, isQuiet } = await this.waitUntilQuiet(() => false, SETTLE_LIMIT_MS);
    return { settleMs: lastProgressAt - startedAt, frames: this.sink.delivered - this.deliveredBeforeConnect, isQuiet };
  }

  async storm(command: StormCommand): Promise<StormResult> {
    const live = this.subscribers.filter(
      (subscriber): subscriber is Subscriber => subscriber instanceof Subscriber && subscriber.isReady,
    );
    const positions = await this.roomPositions(new Set(live.map((subscriber) => subscriber.room)));
    for (const subscriber of this.subscribers) subscriber.close();
    const fresh = live.map(
      (subscriber) => new Subscriber(subscriber.room, subscriber.protocol, this.sink, positions.get(subscriber.room)),
    );
    this.subscribers = fresh;
    const deliveredBefore = this.sink.delivered;
    let firstError: string | undefined;
    let rejoined = 0;
    const before = cpuSnapshot(this.target.serverPid);
    await forEachConcurrently(fresh, command.concurrency, (subscriber) =>
      subscriber
        .open(this.target.host, this.target.port)
        .then(() => subscriber.subscribe())
        .then(
          () => void rejoined++,
          (error: Error) => void (firstError ??= error.message),
        ),
    );
    const after = cpuSnapshot(this.target.serverPid);
    const { isQuiet } = await this.waitUntilQuiet(() => false, SETTLE_LIMIT_MS);
    const isRecovered = this.protocol.isRecovered;
    return {
      clients: fresh.length,
      rejoined,
      firstError,
      recovered: isRecovered
        ? fresh.filter((subscriber) => subscriber.reply !== undefined && isRecovered(subscriber.reply)).length
        : rejoined,
      rejoinMs: after.atMs - before.atMs,
      rejoin: cpuUsage(before, after),
      frames: this.sink.delivered - deliveredBefore,
      isQuiet,
    };
  }

  async publish(command: PublishCommand): Promise<PublishResult> {
    const subscribersByRoom = this.readySubscribersByRoom();
    this.sink.reset(command.sampleEvery);
    const tally = new PostTally();
    const start = cpuSnapshot(this.target.serverPid);
    const run = publishAtRate(this.publisher, command.rooms, command.rate, command.durationMs, tally);
    const issuedPerRoom = await run.issued;
    const publishingEnd = cpuSnapshot(this.target.serverPid);
    await run.settled;
    const expected = sumOver(issuedPerRoom, (room, count) => count * (subscribersByRoom.get(room) ?? 0));
    const lastDeliveryAt = await this.drain(expected);
    const end = cpuSnapshot(this.target.serverPid);
    const issued = sumOver(issuedPerRoom, (_room, count) => count);
    const delivered = this.sink.delivered;
    return {
      issued,
      accepted: tally.accepted,
      expected,
      delivered,
      loss: expected > 0 ? 1 - delivered / expected : 0,
      dropped: this.sink.dropped,
      latency: summarise(this.sink.takeLatencies()),
      post: summarise(tally.latencies),
      publishing: cpuUsage(start, publishingEnd),
      whole: cpuUsage(start, end),
      deliveredPerSecond: delivered / (Math.max(command.durationMs, lastDeliveryAt - start.atMs) / 1000),
    };
  }

  async hammer(command: HammerCommand): Promise<HammerResult> {
    const tally = new PostTally();
    const before = cpuSnapshot(this.target.serverPid);
    await publishBackToBack(this.publisher, command.rooms, command, tally);
    const usage = cpuUsage(before, cpuSnapshot(this.target.serverPid));
    return {
      accepted: tally.accepted,
      failed: tally.failed,
      firstError: tally.firstError,
      acceptedPerSecond: tally.accepted / (usage.wallMs / 1000),
      post: summarise(tally.latencies),
      usage,
    };
  }

  close(): void {
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers = [];
    this.publisher.close();
  }

  /** Each room's last seq and epoch, read over HTTP (roomcast); empty when the target has nothing to resume from. */
  private async roomPositions(rooms: ReadonlySet<string>): Promise<Map<string, Resume>> {
    const positions = new Map<string, Resume>();
    const roomPath = this.protocol.roomPath;
    if (!roomPath) return positions;
    for (const room of rooms) {
      const response = await fetch(`http://${this.target.host}:${this.target.port}${roomPath(room)}`, {
        headers: this.protocol.publishHeaders,
      });
      if (!response.ok) throw new Error(`GET ${roomPath(room)}: ${response.status}`);
      const { lastSeq, epoch } = (await response.json()) as { lastSeq: number; epoch: string };
      positions.set(room, { since: lastSeq, epoch });
    }
    return positions;
  }

  private readySubscribersByRoom(): Map<string, number> {
    const byRoom = new Map<string, number>();
    for (const subscriber of this.subscribers) {
      if (subscriber.isReady) byRoom.set(subscriber.room, (byRoom.get(subscriber.room) ?? 0) + 1);
    }
    return byRoom;
  }

  /** Waits until every expected message arrived or delivery went quiet; resolves to when the last one came. */
  private async drain(expected: number): Promise<number> {
    const isDone = () => this.sink.delivered >= expected;
    const { lastProgressAt } = await this.waitUntilQuiet(isDone, DRAIN_LIMIT_MS);
    return isDone() ? performance.now() : lastProgressAt;
  }

  /**
   * Polls until `isDone` or until nothing arrived for DRAIN_QUIET_POLLS polls in a row, at most
   * `limitMs`. Quiet is counted in idle polls, not wall time: after the process was descheduled,
   * a timer fires before the socket data that piled up meanwhile is read.
   */
  private async waitUntilQuiet(
    isDone: () => boolean,
    limitMs: number,
  ): Promise<{ readonly lastProgressAt: number; readonly isQuiet: boolean }> {
    const startedAt = performance.now();
    let seen = this.sink.delivered;
    let lastProgressAt = startedAt;
    let idlePolls = 0;
    while (!isDone() && idlePolls < DRAIN_QUIET_POLLS) {
      if (performance.now() - startedAt > limitMs) break;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      if (this.sink.delivered === seen) {
        idlePolls++;
      } else {
        seen = this.sink.delivered;
        lastProgressAt = performance.now();
        idlePolls = 0;
      }
    }
    return { lastProgressAt, isQuiet: isDone() || idlePolls >= DRAIN_QUIET_POLLS };
  }

  /** Makes each streaming user a member of its room (`PUT /v1/rooms/:room/members/me`), as a WebSocket `join` would. */
  private async becomeMembers(subscribers: readonly StreamSubscriber[], concurrency: number): Promise<void> {
    await forEachConcurrently(subscribers, concurrency, async (subscriber) => {
      const response = await fetch(
        `http://${this.target.host}:${this.target.port}/v1/rooms/${subscriber.room}/members/me`,
        { method: 'PUT', headers: { authorization: `Bearer ${subscriber.token}` } },
      );
      if (!response.ok) throw new Error(`joining ${subscriber.room}: ${response.status} ${await response.text()}`);
    });
  }

  private userToken(room: string): Promise<string> {
    if (!this.target.userSecret)
      throw new Error(`${this.target.kind} has no user secret: it cannot have user subscribers`);
    this.userTokens ??= new UserTokens(this.target.userSecret);
    return this.userTokens.next(room);
  }
}

function sumOver(counts: Map<string, number>, value: (room: string, count: number) => number): number {
  let sum = 0;
  for (const [room, count] of counts) sum += value(room, count);
  return sum;
}
