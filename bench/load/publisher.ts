import { Agent, request } from 'node:http';
import type { ClientProtocol } from './client-protocols.js';

/** How one POST went. */
export interface PostOutcome {
  readonly isAccepted: boolean;
  readonly ms: number;
  readonly error?: string;
}

/**
 * Publishes events over HTTP with keep-alive connections. Each event's data carries its send
 * time (`performance.now()` of this process), which subscribers in the same process read back.
 */
export class Publisher {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly protocol: ClientProtocol,
  ) {}

  /** One event to the room; with `idempotencyKey`, sent as the `Idempotency-Key` header. */
  post(room: string, idempotencyKey?: string): Promise<PostOutcome> {
    const startedAt = performance.now();
    const body = JSON.stringify({ type: 'bench', data: { t: Number(startedAt.toFixed(3)) } });
    const headers: Record<string, string> = idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey };
    return this.send(this.protocol.publishPath(room), body, startedAt, headers);
  }

  /** One POST of an event for each room given, to the target's batch route. */
  postBatch(rooms: readonly string[]): Promise<PostOutcome> {
    const path = this.protocol.batchPublishPath;
    if (path === undefined) throw new Error('this target has no batch route');
    const startedAt = performance.now();
    const data = { t: Number(startedAt.toFixed(3)) };
    return this.send(path, JSON.stringify({ events: rooms.map((room) => ({ room, type: 'bench', data })) }), startedAt);
  }

  private send(
    path: string,
    body: string,
    startedAt: number,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<PostOutcome> {
    return new Promise<PostOutcome>((resolve) => {
      const finish = (outcome: Omit<PostOutcome, 'ms'>) => {
        resolve({ ...outcome, ms: performance.now() - startedAt });
      };
      const req = request(
        {
          agent: this.agent,
          host: this.host,
          port: this.port,
          method: 'POST',
          path,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...this.protocol.publishHeaders,
            ...headers,
          },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (status >= 300) text += chunk;
          });
          res.on('end', () =>
            finish(
              status < 300 ? { isAccepted: true } : { isAccepted: false, error: `${status} ${text.slice(0, 200)}` },
            ),
          );
        },
      );
      req.on('error', (error) => finish({ isAccepted: false, error: error.message }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Tallies of a set of POSTs. */
export class PostTally {
  accepted = 0;
  failed = 0;
  firstError: string | undefined;
  readonly latencies: number[] = [];

  record(outcome: PostOutcome): void {
    this.latencies.push(outcome.ms);
    if (outcome.isAccepted) this.accepted++;
    else {
      this.failed++;
      this.firstError ??= outcome.error;
    }
  }
}

/**
 * Open loop: issues POSTs on a schedule of `rate` per second for `durationMs`, round-robin over
 * `rooms`, whatever the answers take (a late POST is queued, and its wait counts in its latency).
 * Resolves when the last one is issued; `settled` resolves when every answer is in.
 */
export function publishAtRate(
  publisher: Publisher,
  rooms: readonly string[],
  rate: number,
  durationMs: number,
  tally: PostTally,
): { issued: Promise<Map<string, number>>; settled: Promise<void> } {
  const total = Math.round((rate * durationMs) / 1000);
  const perRoom = new Map<string, number>();
  const answers: Promise<void>[] = [];
  const issued = new Promise<Map<string, number>>((resolve) => {
    const startedAt = performance.now();
    let count = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) * rate) / 1000) + 1);
      for (; count < due; count++) {
        const room = rooms[count % rooms.length]!;
        perRoom.set(room, (perRoom.get(room) ?? 0) + 1);
        answers.push(publisher.post(room).then((outcome) => tally.record(outcome)));
      }
      if (count < total) setTimeout(tick, 1);
      else resolve(perRoom);
    };
    tick();
  });
  return { issued, settled: issued.then(() => Promise.all(answers)).then(() => undefined) };
}

/**
 * Closed loop: `concurrency` publishers, each POSTing as soon as its previous answer is in, until
 * `durationMs`; with `batchSize`, each POST is a batch of events for the next rooms in turn; with
 * `isKeyed`, each single-event POST carries an idempotency key never used before.
 */
export async function publishBackToBack(
  publisher: Publisher,
  rooms: readonly string[],
  shape: {
    readonly concurrency: number;
    readonly durationMs: number;
    readonly batchSize?: number;
    readonly isKeyed?: boolean;
  },
  tally: PostTally,
): Promise<void> {
  const { concurrency, durationMs, batchSize, isKeyed } = shape;
  const deadline = performance.now() + durationMs;
  const keyPrefix = `${process.pid}-${Date.now()}`;
  let next = 0;
  const nextRoom = () => rooms[next++ % rooms.length]!;
  const postNext = () =>
    batchSize === undefined
      ? publisher.post(nextRoom(), isKeyed ? `${keyPrefix}-${next}` : undefined)
      : publisher.postBatch(Array.from({ length: batchSize }, nextRoom));
  const worker = async () => {
    while (performance.now() < deadline) tally.record(await postNext());
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
