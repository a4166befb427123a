/** Sizes and durations of every scenario; quick mode shrinks them to smoke-test the harness in about a minute. */
export interface BenchSettings {
  readonly isQuick: boolean;
  readonly handshakeConcurrency: number;
  readonly fanOut: {
    readonly subscribers: number;
    /** The event rate at which server CPU per delivered message is measured. */
    readonly fixedRate: number;
    readonly fixedMs: number;
    readonly startRate: number;
    /** Each step's rate is the previous one times this. */
    readonly growth: number;
    readonly stepMs: number;
    readonly maxSteps: number;
    readonly sampleEvery: number;
    readonly maxLoss: number;
    readonly maxP99Ms: number;
  };
  readonly manyRooms: {
    readonly rooms: number;
    readonly perRoom: number;
    readonly rate: number;
    readonly durationMs: number;
    readonly sampleEvery: number;
  };
  readonly idle: { readonly connections: number; readonly rooms: number; readonly settleMs: number };
  readonly storm: { readonly rooms: number; readonly perRoom: number };
  /**
   * The embedded server's footprint: idle users after a later start, `usersPerRoom` to a room
   * (`--footprint-connections=N` raises `connections`, and runs the peers through it too).
   */
  readonly footprint: {
    readonly connections: number;
    readonly usersPerRoom: number;
    readonly settleMs: number;
    /**
     * `--footprint-diagnostics=DIR`: the server's memory by its own account at the baseline and
     * at every step (before and after a full GC), then a heap snapshot, written there.
     */
    readonly diagnosticsDir?: string;
  };
  readonly publish: {
    readonly durationMs: number;
    readonly concurrency: number;
    readonly rooms: number;
    /** Events per POST in the batch run (`POST /v1/events`), and how many such publishers. */
    readonly batchSize: number;
    readonly batchConcurrency: number;
    /** What keys cost: this many rounds of a keyless and a keyed run, each this long. */
    readonly keyRounds: number;
    readonly keyRoundMs: number;
  };
  /** Publishing from SQL (PostgreSQL only): transactions committed one after another at this rate. */
  readonly sqlPublish: { readonly commits: number; readonly ratePerSecond: number };
  readonly warmUpMs: number;
}

const FULL: BenchSettings = {
  isQuick: false,
  handshakeConcurrency: 100,
  fanOut: {
    subscribers: 1000,
    fixedRate: 100,
    fixedMs: 5000,
    startRate: 50,
    growth: 1.25,
    stepMs: 3000,
    maxSteps: 16,
    sampleEvery: 20,
    maxLoss: 0.01,
    maxP99Ms: 100,
  },
  manyRooms: { rooms: 500, perRoom: 10, rate: 2000, durationMs: 10_000, sampleEvery: 1 },
  idle: { connections: 10_000, rooms: 1000, settleMs: 3000 },
  storm: { rooms: 100, perRoom: 50 },
  footprint: { connections: 10_000, usersPerRoom: 10, settleMs: 10_000 },
  publish: {
    durationMs: 10_000,
    concurrency: 64,
    rooms: 100,
    batchSize: 100,
    batchConcurrency: 8,
    keyRounds: 6,
    keyRoundMs: 3000,
  },
  sqlPublish: { commits: 1000, ratePerSecond: 50 },
  warmUpMs: 1000,
};

const QUICK: BenchSettings = {
  ...FULL,
  isQuick: true,
  fanOut: { ...FULL.fanOut, subscribers: 200, fixedMs: 1000, startRate: 100, growth: 1.6, stepMs: 1000, maxSteps: 3 },
  manyRooms: { ...FULL.manyRooms, rooms: 50, rate: 500, durationMs: 1500 },
  idle: { connections: 1000, rooms: 100, settleMs: 1000 },
  storm: { rooms: 20, perRoom: 10 },
  footprint: { connections: 1000, usersPerRoom: 10, settleMs: 1000 },
  publish: { ...FULL.publish, durationMs: 1500, rooms: 20, keyRounds: 2, keyRoundMs: 750 },
  sqlPublish: { commits: 50, ratePerSecond: 50 },
  warmUpMs: 300,
};

export function benchSettings(isQuick: boolean): BenchSettings {
  return isQuick ? QUICK : FULL;
}
