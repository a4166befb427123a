import type { PublishThroughputResult } from '../scenarios/publish-throughput.js';
import type { BenchResults, TargetResults } from './results.js';

/** One measure of roomcast on both databases; `ceiling`: issue 16's bound on embedded ÷ PostgreSQL. */
interface ComparedRow {
  readonly label: string;
  readonly value: (results: TargetResults) => number | undefined;
  readonly digits: number;
  readonly ceiling?: number;
}

const ROWS: readonly ComparedRow[] = [
  {
    label: 'fan-out: max sustained delivered msgs/s',
    value: (r) => r.fanOut?.best?.result.deliveredPerSecond,
    digits: 0,
  },
  {
    label: 'fan-out: server CPU µs per delivered msg at 100 events/s',
    value: (r) => r.fanOut?.cpuMicrosPerMessage,
    digits: 2,
    ceiling: 1.5,
  },
  { label: 'many rooms: latency p99 (ms)', value: (r) => r.manyRooms?.result.latency.p99, digits: 2, ceiling: 1.5 },
  { label: 'many rooms: server CPU %', value: (r) => r.manyRooms?.result.publishing.processPercent, digits: 0 },
  {
    label: 'idle: server RSS per connection (KiB)',
    value: (r) => r.idle && r.idle.bytesPerConnection / 1024,
    digits: 1,
  },
  { label: 'idle: handshakes/s', value: (r) => r.idle?.handshakesPerSecond, digits: 0 },
  { label: 'storm: first connect + join per second', value: (r) => r.storm?.firstJoinsPerSecond, digits: 0 },
  { label: 'storm: rejoins/s', value: (r) => r.storm?.rejoinsPerSecond, digits: 0 },
  { label: 'storm: server CPU ms per rejoin', value: (r) => r.storm?.serverCpuMsPerRejoin, digits: 3 },
];

const number = (value: number | undefined, digits: number) =>
  value === undefined
    ? '–'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** With DATABASE_URL: roomcast's scenarios on PostgreSQL beside the same on the embedded database. */
export function renderEmbeddedComparison(results: BenchResults): string[] {
  const embedded = results.embedded;
  const postgres = results.targets.roomcast;
  if (!embedded || !postgres) return ['not run (needs DATABASE_URL: the same run measures both databases)'];
  const lines = [
    'roomcast with user subscribers on PostgreSQL (the side-by-side table) and on the embedded database, in the same run.',
    '',
    '| metric | PostgreSQL | embedded | embedded ÷ PostgreSQL | issue 16 target | met |',
    '| --- | ---: | ---: | ---: | --- | --- |',
  ];
  for (const row of ROWS) {
    const [onPostgres, onEmbedded] = [row.value(postgres), row.value(embedded.targets)];
    const ratio = onPostgres && onEmbedded !== undefined ? onEmbedded / onPostgres : undefined;
    const goal = row.ceiling ? `≤ ${row.ceiling}× PostgreSQL` : '';
    const met = row.ceiling && ratio !== undefined ? (ratio <= row.ceiling ? 'yes' : 'no') : '';
    lines.push(
      `| ${row.label} | ${number(onPostgres, row.digits)} | ${number(onEmbedded, row.digits)} | ${ratio === undefined ? '' : `${ratio.toFixed(2)}×`} | ${goal} | ${met} |`,
    );
  }
  lines.push(...publishRows(results.publish, embedded.publish));
  const errors = Object.entries(embedded.targets.errors).map(
    ([scenario, error]) => `- embedded ${scenario} failed: ${error}`,
  );
  return errors.length > 0 ? [...lines, '', ...errors] : lines;
}

type Publish = PublishThroughputResult | { readonly error: string } | undefined;

function publishRows(onPostgres: Publish, onEmbedded: Publish): string[] {
  const runs = (publish: Publish) => (publish && !('error' in publish) ? publish : undefined);
  const [postgres, embedded] = [runs(onPostgres), runs(onEmbedded)];
  const single = embedded?.manyRooms.persistedPerSecond;
  const row = (label: string, a: number | undefined, b: number | undefined, goal: string, met: string) =>
    `| ${label} | ${number(a, 0)} | ${number(b, 0)} | ${a && b !== undefined ? `${(b / a).toFixed(2)}×` : ''} | ${goal} | ${met} |`;
  return [
    row(
      'publish: single-event POSTs persisted/s (64 publishers, 100 rooms)',
      postgres?.manyRooms.persistedPerSecond,
      single,
      '≥ 5,000/s embedded',
      single === undefined ? '' : single >= 5000 ? 'yes' : 'no',
    ),
    keyCostRow(postgres, embedded),
    row(
      'publish: events persisted/s in batches of 100',
      postgres?.batched.persistedPerSecond,
      embedded?.batched.persistedPerSecond,
      '',
      '',
    ),
  ];
}

/** Issue 17's bound, on each database: keyed single-event POSTs at least 0.95× the keyless rate. */
function keyCostRow(
  postgres: PublishThroughputResult | undefined,
  embedded: PublishThroughputResult | undefined,
): string {
  const ratios = [postgres?.keyCost.ratio, embedded?.keyCost.ratio];
  const met = ratios.every((ratio) => ratio !== undefined)
    ? ratios.every((ratio) => ratio! >= 0.95)
      ? 'yes'
      : 'no'
    : '';
  return `| publish: keyed ÷ keyless single-event POSTs/s (median of alternating rounds) | ${number(ratios[0], 2)} | ${number(ratios[1], 2)} | | issue 17: ≥ 0.95 on each | ${met} |`;
}
