import type { FanOutResult } from '../scenarios/fan-out.js';
import type { KeyCost, ThroughputRun } from '../scenarios/publish-throughput.js';
import type { SubscriberSetup } from '../scenarios/session.js';
import type { CpuUsage } from '../shared/proc-stats.js';
import { TARGET_KINDS, type TargetKind } from '../shared/commands.js';
import { renderEmbeddedComparison } from './embedded-markdown.js';
import { renderFootprint } from './footprint-markdown.js';
import type { BenchResults, TargetResults } from './results.js';

type Values = Partial<Record<TargetKind, number>>;
type Targets = Partial<Record<TargetKind, TargetResults>>;

/** A measured row: one number per target, with the ratios and, when issue 14 sets one, its target. */
interface NumberRow {
  readonly label: string;
  readonly value: (results: TargetResults) => number | undefined;
  readonly format: (value: number) => string;
  readonly goal?: { readonly text: string; readonly isMet: (values: Values, targets: Targets) => boolean | undefined };
}

/** A descriptive row: text per target, no ratios. */
interface TextRow {
  readonly label: string;
  readonly text: (results: TargetResults) => string | undefined;
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const decimal = (digits: number) => (value: number) => value.toFixed(digits);
const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
const ratioOf = (values: Values, peer: TargetKind) =>
  values.roomcast !== undefined && values[peer] ? values.roomcast / values[peer] : undefined;
const cores = (usage: CpuUsage | undefined) =>
  usage && usage.coreBusyPercent.map((busy) => Math.round(busy)).join(' / ');
/** Wall time from the first upgrade to the last subscriber ready, divided among the subscribers. */
const connectMsPerSubscriber = (setup: SubscriberSetup | undefined) =>
  setup && (setup.connect.handshakeMs + setup.connect.subscribeMs) / setup.connect.opened;
const settled = (setup: SubscriberSetup | undefined) =>
  setup && `${(setup.settle.settleMs / 1000).toFixed(1)} s, ${integer(setup.settle.frames)}`;

const ROWS: readonly (NumberRow | TextRow)[] = [
  {
    label: 'fan-out: max sustained delivered msgs/s',
    value: (r) => r.fanOut?.best?.result.deliveredPerSecond,
    format: integer,
    goal: { text: 'issue 14: ≥ 1.0× ws-raw', isMet: (v) => atLeast(ratioOf(v, 'ws-raw'), 1.0) },
  },
  { label: 'fan-out: at event rate (events/s)', text: (r) => r.fanOut?.best && integer(r.fanOut.best.rate) },
  { label: 'fan-out: rising rate stopped by', text: (r) => r.fanOut?.stopReason },
  {
    label: 'fan-out: cores busy at max, % (server c0 / load c1)',
    text: (r) => cores(r.fanOut?.best?.result.publishing),
  },
  {
    label: 'fan-out: server CPU µs per delivered msg at 100 events/s',
    value: (r) => r.fanOut?.cpuMicrosPerMessage,
    format: decimal(2),
    goal: { text: 'issue 14: ≤ 1.0× ws-raw', isMet: (v) => atMost(ratioOf(v, 'ws-raw'), 1.0) },
  },
  {
    label: 'fan-out over event streams (SSE, users): server CPU µs per delivered msg at 100 events/s',
    value: (r) => r.fanOutSse?.cpuMicrosPerMessage,
    format: decimal(2),
  },
  {
    label: 'fan-out over event streams (SSE, users): max sustained delivered msgs/s',
    value: (r) => r.fanOutSse?.best?.result.deliveredPerSecond,
    format: integer,
  },
  { label: 'fan-out: cores busy at 100 events/s, %', text: (r) => cores(r.fanOut?.fixed.publishing) },
  {
    label: 'fan-out: connecting, ms per subscriber (upgrade + join, 100 at a time)',
    value: (r) => connectMsPerSubscriber(r.fanOut?.setup),
    format: decimal(2),
  },
  {
    label: 'fan-out: settling: time after connecting until quiet, frames since connecting began',
    text: (r) => settled(r.fanOut?.setup),
  },
  { label: 'many rooms: latency p50 (ms)', value: (r) => r.manyRooms?.result.latency.p50, format: decimal(2) },
  { label: 'many rooms: latency p90 (ms)', value: (r) => r.manyRooms?.result.latency.p90, format: decimal(2) },
  {
    label: 'many rooms: latency p99 (ms)',
    value: (r) => r.manyRooms?.result.latency.p99,
    format: decimal(2),
    goal: {
      text: 'issue 14: roomcast ≤ 5 ms and 0 loss',
      isMet: (v, targets) => {
        const loss = targets.roomcast?.manyRooms?.result.loss;
        return both(atMost(v.roomcast, 5), loss === undefined ? undefined : loss === 0);
      },
    },
  },
  { label: 'many rooms: latency max (ms)', value: (r) => r.manyRooms?.result.latency.max, format: decimal(1) },
  {
    label: 'many rooms: server CPU %',
    value: (r) => r.manyRooms?.result.publishing.processPercent,
    format: decimal(0),
  },
  { label: 'many rooms: loss', text: (r) => r.manyRooms && percent(r.manyRooms.result.loss) },
  { label: 'many rooms: cores busy, %', text: (r) => cores(r.manyRooms?.result.publishing) },
  {
    label: 'many rooms: connecting, ms per subscriber (upgrade + join, 100 at a time)',
    value: (r) => connectMsPerSubscriber(r.manyRooms?.setup),
    format: decimal(2),
  },
  {
    label: 'many rooms: settling: time after connecting until quiet, frames since connecting began',
    text: (r) => settled(r.manyRooms?.setup),
  },
  {
    label: 'idle: server RSS per connection (KiB)',
    value: (r) => r.idle && r.idle.bytesPerConnection / 1024,
    format: decimal(1),
    goal: { text: 'issue 14: roomcast ≤ 8 KiB', isMet: (v) => atMost(v.roomcast, 8) },
  },
  {
    label: 'idle: handshakes/s',
    value: (r) => r.idle?.handshakesPerSecond,
    format: integer,
    goal: { text: 'issue 14: ≥ 0.8× ws-raw (no regression)', isMet: (v) => atLeast(ratioOf(v, 'ws-raw'), 0.8) },
  },
  { label: 'idle: cores busy during handshakes, %', text: (r) => cores(r.idle?.connect.handshake) },
  {
    label: 'idle: joins/s after the handshake (roomcast)',
    text: (r) => (r.idle?.subscribesPerSecond === undefined ? undefined : integer(r.idle.subscribesPerSecond)),
  },
  {
    label: 'storm: first connect + join per second (roomcast: users becoming members)',
    value: (r) => r.storm?.firstJoinsPerSecond,
    format: integer,
    goal: { text: 'issue 15: ≥ 0.5× ws-raw', isMet: (v) => atLeast(ratioOf(v, 'ws-raw'), 0.5) },
  },
  {
    label: 'storm: all drop, all reconnect and rejoin with since: rejoins/s',
    value: (r) => r.storm?.rejoinsPerSecond,
    format: integer,
    goal: { text: 'issue 15: ≥ 0.5× ws-raw', isMet: (v) => atLeast(ratioOf(v, 'ws-raw'), 0.5) },
  },
  { label: 'storm: server CPU ms per rejoin', value: (r) => r.storm?.serverCpuMsPerRejoin, format: decimal(3) },
  {
    label: 'storm: frames per client from the drop until quiet',
    value: (r) => r.storm?.framesPerClient,
    format: decimal(1),
    goal: { text: 'issue 15: roomcast ≤ 5', isMet: (v) => atMost(v.roomcast, 5) },
  },
  {
    label: 'storm: seconds until every client is back (roomcast: recovered)',
    value: (r) => r.storm && r.storm.storm.rejoinMs / 1000,
    format: decimal(2),
  },
  { label: 'storm: cores busy during the rejoins, %', text: (r) => cores(r.storm?.storm.rejoin) },
];

/** The whole report: header, the side-by-side table, publish throughput, scale-out and the fan-out steps. */
export function renderMarkdown(results: BenchResults): string {
  return [
    `# roomcast benchmark, ${results.date}${results.settings.isQuick ? ' (quick mode: small counts, not comparable)' : ''}`,
    '',
    ...renderSetting(results),
    '',
    '## Side by side',
    '',
    "roomcast's fan-out and many-rooms subscribers are users: each joins its room as a member, presence on.",
    '',
    ...renderMainTable(results),
    '',
    '## roomcast with service-token subscribers',
    '',
    ...renderServiceTable(results),
    '',
    '## Publish throughput (roomcast only, no subscribers)',
    '',
    ...renderPublish(results),
    '',
    '## Publishing from SQL (roomcast on PostgreSQL)',
    '',
    ...renderSqlPublish(results),
    '',
    '## roomcast on the embedded database',
    '',
    ...renderEmbeddedComparison(results),
    '',
    '## Embedded footprint (roomcast on the embedded database; the peers too with `--footprint-connections`)',
    '',
    ...renderFootprint(results),
    '',
    '## Scale-out',
    '',
    renderScaleOut(results),
    '',
    '## Fan-out steps',
    '',
    'Each step: delivered msgs/s, p99 latency, loss, cores busy % (server c0 / load c1).',
    '',
    ...renderSteps(results),
    '',
  ].join('\n');
}

function renderSetting(results: BenchResults): string[] {
  const { machine, settings } = results;
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const isBusy = Number(machine.loadAverage.split(' ')[0]) > 0.5;
  const busyWarning = isBusy
    ? [
        `- **The machine was busy** (load average ${machine.loadAverage} when the run began): other work shared both cores, so these numbers are noisy. Re-run on a quiet machine.`,
      ]
    : [];
  return [
    ...busyWarning,
    `- Command: \`${results.command}\`${results.durationMs ? ` (took ${Math.round(results.durationMs / 1000)} s)` : ''}`,
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, Linux ${machine.kernel}, node ${machine.node}; load average at start ${machine.loadAverage}; open files ${machine.openFilesLimit}`,
    `- Packages: ${packages}`,
    `- roomcast database: ${results.storage}`,
    `- Pinning: each server on core 0, the load generator on core 1 (taskset); the harness itself and any database server are not pinned.`,
    `- Scenarios: fan-out 1 room × ${settings.fanOut.subscribers}; many rooms ${settings.manyRooms.rooms} × ${settings.manyRooms.perRoom} at ${settings.manyRooms.rate} events/s for ${settings.manyRooms.durationMs / 1000} s; idle ${settings.idle.connections} connections over ${settings.idle.rooms} rooms; reconnect storm ${settings.storm.rooms} rooms × ${settings.storm.perRoom}.`,
    `- roomcast subscribers: in fan-out and many rooms, users (a token each, joining as members, presence on; the side-by-side table), then the service token (no membership, no presence; its own table); in idle, the service token; in the storm, users (ws-raw and socket.io: their plain connect).`,
  ];
}

function renderMainTable(results: BenchResults): string[] {
  return renderTable(results.targets, ROWS, { withGoals: true });
}

/** The fan-out and many-rooms rows again, roomcast's subscribers holding the service token. */
function renderServiceTable(results: BenchResults): string[] {
  const service = results.roomcastAsService;
  if (!service) return ['not run'];
  const rows = ROWS.filter((row) => row.label.startsWith('fan-out:') || row.label.startsWith('many rooms'));
  return [
    'The old measure: the same scenarios with every roomcast subscriber on the service token, which',
    'skips membership and presence. "users ÷ service" compares the side-by-side table\'s roomcast column with this one.',
    '',
    ...renderTable({ ...results.targets, roomcast: service }, rows, {
      withGoals: false,
      roomcastLabel: 'roomcast (service)',
      usersOverService: results.targets.roomcast,
    }),
  ];
}

interface TableOptions {
  /** The target (the issue that sets it) and met columns. */
  readonly withGoals: boolean;
  /** The roomcast column's heading; default `roomcast`. */
  readonly roomcastLabel?: string;
  /** Adds a column: these results' value ÷ the table's roomcast value. */
  readonly usersOverService?: TargetResults | undefined;
}

function renderTable(targets: Targets, rows: readonly (NumberRow | TextRow)[], options: TableOptions): string[] {
  const present = TARGET_KINDS.filter((kind) => targets[kind]);
  const headings = present.map((kind) => (kind === 'roomcast' ? (options.roomcastLabel ?? kind) : kind));
  const extra = [
    ...(options.usersOverService ? ['users ÷ service'] : []),
    ...(options.withGoals ? ['target', 'met'] : []),
  ];
  const lines = [
    `| metric | ${[...headings, 'roomcast/ws-raw', 'roomcast/socket.io', ...extra].join(' | ')} |`,
    `| --- | ${[...present.map(() => '---:'), '---:', '---:', ...extra.map((name) => (name === 'users ÷ service' ? '---:' : '---'))].join(' | ')} |`,
  ];
  for (const row of rows) {
    if ('text' in row) {
      const cells = present.map((kind) => row.text(targets[kind]!) ?? '–');
      lines.push(`| ${[row.label, ...cells, '', '', ...extra.map(() => '')].join(' | ')} |`);
      continue;
    }
    const values: Values = Object.fromEntries(present.map((kind) => [kind, row.value(targets[kind]!)]));
    const cells = present.map((kind) => (values[kind] === undefined ? '–' : row.format(values[kind])));
    const ratio = (value: number | undefined) => (value === undefined ? '' : `${value.toFixed(2)}×`);
    const users = options.usersOverService && row.value(options.usersOverService);
    const usersOverService = options.usersOverService
      ? [ratio(users !== undefined && values.roomcast ? users / values.roomcast : undefined)]
      : [];
    const isMet = row.goal?.isMet(values, targets);
    const goal = options.withGoals ? [row.goal?.text ?? '', isMet === undefined ? '' : isMet ? 'yes' : 'no'] : [];
    lines.push(
      `| ${[row.label, ...cells, ratio(ratioOf(values, 'ws-raw')), ratio(ratioOf(values, 'socket.io')), ...usersOverService, ...goal].join(' | ')} |`,
    );
  }
  const errors = present.flatMap((kind) =>
    Object.entries(targets[kind]!.errors).map(
      ([scenario, error]) => `- ${headings[present.indexOf(kind)]} ${scenario} failed: ${error}`,
    ),
  );
  return errors.length > 0 ? [...lines, '', ...errors] : lines;
}

function renderPublish(results: BenchResults): string[] {
  const publish = results.publish;
  if (!publish) return ['not run'];
  if ('error' in publish) return [`failed: ${publish.error}`];
  const isPostgres = results.storage.startsWith('PostgreSQL');
  const row = (run: ThroughputRun, goal: string) =>
    `| ${run.rooms} | ${run.batchSize ?? 1} | ${run.concurrency} | ${integer(run.persistedPerSecond)} | ` +
    `${integer(run.result.acceptedPerSecond)} | ${run.result.post.p50.toFixed(1)} | ${run.result.post.p99.toFixed(1)} | ` +
    `${run.result.failed} | ${run.result.usage.processPercent.toFixed(0)} | ${cores(run.result.usage)} | ${goal} |`;
  const goal = (run: ThroughputRun) =>
    `≥ 10,000 persisted/s with PostgreSQL (POST p99 reported): ${isPostgres ? (run.persistedPerSecond >= 10_000 ? 'yes' : 'no') : 'not measured (embedded database)'}`;
  return [
    `Publishers POSTing back to back with a service token: one event per POST to \`POST /v1/rooms/:room/events\`, ` +
      `or batches to \`POST /v1/events\` (each event of a batch to the next room in turn); database: ${results.storage}.`,
    "Persisted = growth of the rooms' `lastSeq` read back after the run.",
    '',
    '| rooms | events per POST | publishers | persisted events/s | accepted POSTs/s | POST p50 (ms) | POST p99 (ms) | failed | server CPU % | cores busy, % | issue 14 target |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    row(publish.oneRoom, ''),
    row(publish.manyRooms, goal(publish.manyRooms)),
    row(publish.batched, 'informational'),
    '',
    ...renderKeyCost(publish.keyCost),
  ];
}

/** Issue 17: idempotency keys must not cost the publish path more than a few percent. */
function renderKeyCost({ rounds, ratio }: KeyCost): string[] {
  const { concurrency, rooms, result } = rounds[0]!.keyless;
  const seconds = (result.usage.wallMs / 1000).toFixed(0);
  return [
    `Idempotency keys: single-event POSTs without and with an \`Idempotency-Key\` of their own, in ${rounds.length} rounds of ` +
      `about ${seconds} s each, alternating (${concurrency} publishers, ${rooms} rooms).`,
    '',
    '| round | keyless persisted/s | keyed persisted/s | keyed / keyless | keyed POST p99 (ms) |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...rounds.map(
      ({ keyless, keyed }, index) =>
        `| ${index + 1} | ${integer(keyless.persistedPerSecond)} | ${integer(keyed.persistedPerSecond)} | ` +
        `${(keyed.persistedPerSecond / keyless.persistedPerSecond).toFixed(2)} | ${keyed.result.post.p99.toFixed(1)} |`,
    ),
    `| median | | | ${ratio.toFixed(2)} | |`,
    '',
    `Issue 17 target, a few percent at most (keyed ≥ 0.95× keyless): ${ratio >= 0.95 ? 'yes' : 'no'}.`,
  ];
}

function renderSqlPublish(results: BenchResults): string[] {
  const sql = results.sqlPublish;
  if (!sql) return ['not run'];
  if ('skipped' in sql) return [sql.skipped];
  if ('error' in sql) return [`failed: ${sql.error}`];
  const { latency } = sql;
  return [
    `An application's transactions, one after another at ${sql.ratePerSecond}/s, each calling \`roomcast_publish\` and committing; one subscriber. ` +
      'Latency from sending COMMIT to the event arriving at the subscriber.',
    '',
    '| commits | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | lost | issue 17: p99 ≤ 100 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    `| ${sql.commits} | ${latency.p50.toFixed(2)} | ${latency.p90.toFixed(2)} | ${latency.p99.toFixed(2)} | ${latency.max.toFixed(1)} | ${sql.lost} | ${latency.p99 <= 100 && sql.lost === 0 ? 'yes' : 'no'} |`,
  ];
}

function renderScaleOut(results: BenchResults): string {
  const scaleOut = results.scaleOut;
  if (!scaleOut) return 'not run';
  if ('skipped' in scaleOut) return scaleOut.skipped;
  const withRedis = scaleOut.withRedis.best?.result.deliveredPerSecond;
  const without = scaleOut.withoutRedis?.best?.result.deliveredPerSecond;
  const ratio = withRedis !== undefined && without ? ` (${(withRedis / without).toFixed(2)}× without Redis)` : '';
  return (
    `roomcast fan-out (user subscribers) through Redis on one node: ${withRedis === undefined ? '–' : integer(withRedis)} msgs/s${ratio}, ` +
    `${scaleOut.withRedis.cpuMicrosPerMessage.toFixed(2)} µs server CPU per message at 100 events/s.`
  );
}

function renderSteps(results: BenchResults): string[] {
  const runs: [string, FanOutResult | undefined][] = [
    ...TARGET_KINDS.map((kind): [string, FanOutResult | undefined] => [
      kind === 'roomcast' ? 'roomcast (users)' : kind,
      results.targets[kind]?.fanOut,
    ]),
    ['roomcast (service)', results.roomcastAsService?.fanOut],
    ['roomcast (users, event streams)', results.targets.roomcast?.fanOutSse],
  ];
  return runs.flatMap(([name, fanOut]) => {
    if (!fanOut) return [];
    const steps = fanOut.steps.map(
      (step) =>
        `${step.rate} ev/s → ${integer(step.result.deliveredPerSecond)} msg/s, p99 ${step.result.latency.p99.toFixed(1)} ms, ` +
        `loss ${percent(step.result.loss)}, ${cores(step.result.publishing)}${step.failure ? ' ✗' : ''}`,
    );
    return [`- **${name}**: ${steps.join('; ')}`];
  });
}

function atLeast(value: number | undefined, bound: number): boolean | undefined {
  return value === undefined ? undefined : value >= bound;
}

function atMost(value: number | undefined, bound: number): boolean | undefined {
  return value === undefined ? undefined : value <= bound;
}

function both(first: boolean | undefined, second: boolean | undefined): boolean | undefined {
  return first === undefined || second === undefined ? undefined : first && second;
}
