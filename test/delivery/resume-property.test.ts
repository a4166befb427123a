import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JoinReply,
  ResumingSubscriber,
  publishOverRest,
  roomLastSeq,
  seqRange,
} from '../support/delivery-subscriber.js';
import { createRoom } from '../support/rest.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken, signTokens } from '../support/tokens.js';

const MAX_CLIENTS = 4;

/**
 * One step of a schedule. A publish or a rejoin that is not awaited goes on while the next steps
 * run, so rejoins race with publishing and with disconnects of the same client.
 */
type Step =
  | { kind: 'publish'; count: number; isAwaited: boolean }
  | { kind: 'disconnect'; client: number; isAbrupt: boolean }
  | { kind: 'rejoin'; client: number; isAwaited: boolean };

interface Schedule {
  clients: number;
  steps: Step[];
}

const clientArb = fc.nat(MAX_CLIENTS - 1);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('publish' as const),
      count: fc.integer({ min: 1, max: 25 }),
      isAwaited: fc.boolean(),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client: clientArb, isAbrupt: fc.boolean() }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('rejoin' as const), client: clientArb, isAwaited: fc.boolean() }),
    weight: 2,
  },
);
const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  clients: fc.integer({ min: 2, max: MAX_CLIENTS }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }),
});

let server: TestServer;
let service: string;
let users: string[];
let runCounter = 0;

beforeAll(async () => {
  server = await startTestServer();
  service = await signToken('backend', { scope: 'service' });
  users = await signTokens('resumer-', MAX_CLIENTS);
});
afterAll(() => server?.stop());

/** A fresh room with `clients` subscribers, each a member and joined with since = 0. */
async function startRun(clients: number): Promise<{ room: string; subscribers: ResumingSubscriber[] }> {
  runCounter += 1;
  const room = `resume-prop-${runCounter}`;
  await createRoom(server.baseUrl, service, room);
  const subscribers = users
    .slice(0, clients)
    .map((token, c) => new ResumingSubscriber(server.wsUrl, token, room, `resumer-${c}`));
  for (const subscriber of subscribers) {
    expect(await subscriber.join()).toMatchObject({ op: 'ok', room, recovered: true });
  }
  return { room, subscribers };
}

/** Runs one step; what it leaves running is added to `pending`. */
async function execute(step: Step, room: string, subscribers: ResumingSubscriber[], pending: Promise<unknown>[]) {
  if (step.kind === 'publish') {
    const publishing = publishOverRest(server.baseUrl, service, room, step.count, 2);
    if (step.isAwaited) await publishing;
    else pending.push(publishing);
    return;
  }
  const subscriber = subscribers[step.client % subscribers.length]!;
  if (step.kind === 'disconnect') return subscriber.disconnect(step.isAbrupt);
  if (subscriber.isConnected) return;
  const { reply } = await subscriber.rejoin();
  if (step.isAwaited) await reply;
  else pending.push(reply);
}

/** The only acceptable reply to a rejoin: recovered, or none because the client left first. */
function isGoodReply(reply: JoinReply): boolean {
  return reply.op === 'closed' || (reply.op === 'ok' && reply.recovered === true);
}

describe('resuming under random schedules', () => {
  const title = 'every client ends with exactly 1..N, whatever the publishes, disconnects and rejoins';
  it(title, { timeout: 90_000 }, async () => {
    const started = Date.now();
    const totals = { events: 0, connections: 0, replayed: 0 };
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        const { room, subscribers } = await startRun(schedule.clients);
        const pending: Promise<unknown>[] = [];
        try {
          for (const step of schedule.steps) await execute(step, room, subscribers, pending);
          await Promise.all(pending);
          for (const subscriber of subscribers) {
            if (!subscriber.isConnected) expect(isGoodReply(await subscriber.join())).toBe(true);
          }
          const lastSeq = await roomLastSeq(server.baseUrl, service, room);
          totals.events += lastSeq;
          await Promise.all(subscribers.map((subscriber) => subscriber.reached(lastSeq, 10_000)));
          for (const subscriber of subscribers) {
            expect(subscriber.problems, subscriber.name).toEqual([]);
            expect(
              subscriber.joins.every(({ reply }) => isGoodReply(reply)),
              subscriber.name,
            ).toBe(true);
            expect(subscriber.seqs, subscriber.name).toEqual(seqRange(1, lastSeq));
            totals.connections += subscriber.connections;
            totals.replayed += subscriber.replayed;
          }
        } finally {
          await Promise.all(subscribers.map((subscriber) => subscriber.closeAll()));
        }
        await server.untilConnectionsClosed();
      }),
      { numRuns: 25 },
    );
    console.log(
      `resume property (${server.database.kind}): 25 runs in ${Date.now() - started} ms, ` +
        `${totals.events} events, ${totals.connections} connections, ${totals.replayed} events replayed`,
    );
  });
});
