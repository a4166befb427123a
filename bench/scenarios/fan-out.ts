import type { PublishResult } from '../shared/commands.js';
import type { BenchSettings } from '../settings.js';
import { type Session, type SubscriberSetup, connectSubscribers } from './session.js';

const ROOM = 'fanout';

/** One step of the rising rate. */
export interface FanOutStep {
  readonly rate: number;
  readonly result: PublishResult;
  /** Why this step failed; undefined when it was sustained. */
  readonly failure: string | undefined;
}

export interface FanOutResult {
  readonly subscribers: number;
  readonly setup: SubscriberSetup;
  /** At the fixed rate, where server CPU per delivered message is measured. */
  readonly fixed: PublishResult;
  readonly cpuMicrosPerMessage: number;
  readonly steps: readonly FanOutStep[];
  /** The sustained step that delivered the most messages per second. */
  readonly best: FanOutStep | undefined;
  readonly stopReason: string;
}

/**
 * 1 room × N subscribers: CPU per message at a fixed rate, then a rising rate until loss or
 * latency breaks. `asUsers` (roomcast): the subscribers are users joining the room, not the service.
 * `transport` (roomcast): `sse` subscribes each with an event stream instead of a WebSocket.
 */
export async function runFanOut(
  session: Session,
  settings: BenchSettings['fanOut'],
  handshakeConcurrency: number,
  warmUpMs: number,
  asUsers = false,
  transport: SubscriberSetup['transport'] = 'websocket',
): Promise<FanOutResult> {
  const { target, load, log } = session;
  // Each variant gets a room of its own: each run starts on a room nobody joined yet.
  const room = `${ROOM}${asUsers ? '-users' : ''}${transport === 'sse' ? '-sse' : ''}`;
  await target.createRooms([room]);
  const setup = await connectSubscribers(
    session,
    [room],
    settings.subscribers,
    handshakeConcurrency,
    asUsers,
    transport,
  );
  const publish = (rate: number, durationMs: number) =>
    load.run({ kind: 'publish', rooms: [room], rate, durationMs, sampleEvery: settings.sampleEvery });
  await publish(settings.fixedRate, warmUpMs);
  const fixed = await publish(settings.fixedRate, settings.fixedMs);
  const cpuMicrosPerMessage = fixed.delivered > 0 ? (fixed.whole.processCpuMs * 1000) / fixed.delivered : NaN;
  log(`fan-out at ${settings.fixedRate} ev/s: ${cpuMicrosPerMessage.toFixed(2)} µs server CPU per message`);

  const steps: FanOutStep[] = [];
  let stopReason = `reached the last step (${settings.maxSteps})`;
  let rate = settings.startRate;
  for (let step = 0; step < settings.maxSteps; step++, rate = Math.round(rate * settings.growth)) {
    const result = await publish(rate, settings.stepMs);
    const failure = stepFailure(result, settings);
    steps.push({ rate, result, failure });
    log(
      `fan-out step ${rate} ev/s: ${Math.round(result.deliveredPerSecond)} msg/s, p99 ${result.latency.p99.toFixed(1)} ms, ` +
        `loss ${(result.loss * 100).toFixed(2)}%, cores ${result.publishing.coreBusyPercent.map(Math.round).join('/')}%`,
    );
    if (failure) {
      stopReason = failure;
      break;
    }
  }
  const sustained = steps.filter((step) => step.failure === undefined);
  const best = sustained.reduce<FanOutStep | undefined>(
    (top, step) => (top === undefined || step.result.deliveredPerSecond > top.result.deliveredPerSecond ? step : top),
    undefined,
  );
  return { subscribers: settings.subscribers, setup, fixed, cpuMicrosPerMessage, steps, best, stopReason };
}

function stepFailure(result: PublishResult, settings: BenchSettings['fanOut']): string | undefined {
  if (result.loss > settings.maxLoss) return `loss ${(result.loss * 100).toFixed(1)}% at ${result.issued} events`;
  if (result.latency.p99 > settings.maxP99Ms) return `p99 ${result.latency.p99.toFixed(0)} ms`;
  if (result.dropped > 0) return `${result.dropped} subscribers dropped`;
  return undefined;
}
