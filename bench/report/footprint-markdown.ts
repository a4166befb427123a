import type { IdleLadderResult } from '../scenarios/idle-ladder.js';
import type { MemoryReading } from '../scenarios/server-diagnostics.js';
import type { BenchResults } from './results.js';

/** Issue 16's targets: 150 MB ready and idle, plus 8 KiB per idle connection (100,000 in about 1 GiB). */
const FOOTPRINT_IDLE_BYTES = 150 * 2 ** 20;
const FOOTPRINT_CONNECTION_BYTES = 8 * 1024;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const integer = (value: number) => Math.round(value).toLocaleString('en-US');

/** The embedded footprint against issue 16's targets, then every idle ladder step by step. */
export function renderFootprint(results: BenchResults): string[] {
  const footprint = results.footprint;
  const peers = Object.entries(results.footprintPeers ?? {});
  const ladders: IdleLadderResult[] = [];
  const lines: string[] = [];
  if (!footprint) lines.push('roomcast: not run');
  else if ('error' in footprint) lines.push(`roomcast failed: ${footprint.error}`);
  else {
    const met = (bytes: number, bound: number) => (bytes <= bound ? 'yes' : 'no');
    const loaded = footprint.ladder.checkpoints.map((step) => {
      const bound = FOOTPRINT_IDLE_BYTES + FOOTPRINT_CONNECTION_BYTES * step.connections;
      return `| ${integer(step.connections)} idle users (members, presence on) over ${integer(step.rooms)} rooms | ${mb(step.rssBytes)} | ≤ ${mb(bound)} (150 MB + 8 KiB each) | ${met(step.rssBytes, bound)} |`;
    });
    const last = footprint.ladder.checkpoints.at(-1);
    lines.push(
      'RSS of `node dist/main.js` (production mode, no DATABASE_URL) on a DATA_DIR of its own.',
      '',
      '| measure | RSS | issue 16 target | met |',
      '| --- | ---: | --- | --- |',
      `| ready and idle, first start (new DATA_DIR) | ${mb(footprint.firstStartBytes)} | ≤ 150 MB | ${met(footprint.firstStartBytes, FOOTPRINT_IDLE_BYTES)} |`,
      `| ready and idle, later start | ${mb(footprint.laterStartBytes)} | ≤ 150 MB | ${met(footprint.laterStartBytes, FOOTPRINT_IDLE_BYTES)} |`,
      ...loaded,
      `| per idle user connection | ${last ? kib(last.bytesPerConnection) : '–'} | | |`,
    );
    ladders.push(footprint.ladder);
  }
  for (const [kind, ladder] of peers) {
    if ('error' in ladder) lines.push('', `${kind}'s idle ladder failed: ${ladder.error}`);
    else ladders.push(ladder);
  }
  return ladders.length > 0 ? [...lines, '', ...renderLadders(ladders)] : lines;
}

/** Each ladder step: the server's memory, what each connection cost, how long connecting took. */
function renderLadders(ladders: readonly IdleLadderResult[]): string[] {
  const rows = ladders.flatMap((ladder) =>
    ladder.checkpoints.map((step) => {
      const previous = ladder.checkpoints[ladder.checkpoints.indexOf(step) - 1]?.connections ?? 0;
      const perSecond = step.connectMs > 0 ? integer((step.connections - previous) / (step.connectMs / 1000)) : '–';
      return (
        `| ${ladder.kind}${ladder.asUsers ? ' (users)' : ''} | ${integer(step.connections)} | ${mb(step.rssBytes)} | ` +
        `${ladder.baselineWebAssemblyBytes > 0 ? mb(step.webAssemblyBytes) : '–'} | ${kib(step.bytesPerConnection)} | ` +
        `${kib(step.marginalBytesPerConnection)} | ${(step.connectMs / 1000).toFixed(1)} s, ${perSecond}/s | ` +
        `${(step.settleMs / 1000).toFixed(1)} s | ${step.failed}${step.firstError ? ` (${step.firstError})` : ''} |`
      );
    }),
  );
  const notes = ladders.flatMap((ladder) => [
    `- ${ladder.kind}: baseline ${mb(ladder.baselineBytes)}` +
      `${ladder.baselineWebAssemblyBytes > 0 ? ` (WebAssembly ${mb(ladder.baselineWebAssemblyBytes)})` : ''}; ` +
      `${ladder.loadProcesses} load generator(s), from ${ladder.sourceAddresses.join(', ')} in turn ` +
      `(${integer(ladder.portsPerAddress)} ephemeral ports each); server open-file limit ${integer(ladder.serverOpenFiles)}` +
      `${ladder.shortfall ? `; ${ladder.shortfall}` : ''}`,
    ...renderDiagnostics(ladder),
  ]);
  return [
    'Idle connections held in steps (each step on rooms of its own, 100 upgrades in flight; RSS read after the frames stopped and a pause).',
    '"Per connection": RSS growth over the baseline ÷ connections held; "per connection added": growth since the previous step ÷ connections added.',
    '',
    '| target | idle connections | RSS | of which WebAssembly (embedded database) | per connection | per connection added | connecting (upgrade + join) | settling | failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ...notes,
  ];
}

/**
 * With `--footprint-diagnostics`: each step's growth by the server's own account, per connection
 * added since the previous reading (the baseline for the first). V8's committed heap is not all
 * resident, so the parts need not add up to the RSS. The probe's full GC at each step lowers what
 * the next steps grow by: read the RSS of a run without it.
 */
function renderDiagnostics(ladder: IdleLadderResult): string[] {
  const diagnostics = ladder.diagnostics;
  if (!diagnostics) return [];
  let previous = { connections: 0, memory: diagnostics.baseline };
  const lines = ladder.checkpoints.flatMap((step) => {
    if (!step.memory) return [];
    const [from, to] = [previous.memory, step.memory];
    const added = step.connections - previous.connections;
    const each = (bytes: number) => kib(bytes / added);
    previous = { connections: step.connections, memory: step.memory };
    const growth = (field: keyof MemoryReading) => each(to.before[field] - from.afterGc[field]);
    return [
      `  - ${ladder.kind}, ${integer(step.connections)} held, per connection added since the previous reading: ` +
        `RSS ${growth('rss')}; V8 heap committed ${growth('heapTotal')}, used ${growth('heapUsed')}, ` +
        `live after a full GC ${each(to.afterGc.heapUsed - from.afterGc.heapUsed)}; external ${growth('external')}; ` +
        `the full GC then gave back ${mb(to.before.rss - to.afterGc.rss)} of RSS within 5 s ` +
        `(RSS ${mb(to.afterGc.rss)} after it).`,
    ];
  });
  return [
    ...lines,
    `  - ${ladder.kind}: heap snapshot with every connection held: \`${diagnostics.heapSnapshot}\` ` +
      `(\`npx tsx bench/heap-summary.ts <file> ${ladder.checkpoints.at(-1)?.connections}\`).`,
  ];
}
