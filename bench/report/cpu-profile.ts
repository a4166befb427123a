import { relative } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

/** The parts of a V8 .cpuprofile (as written by `node --cpu-prof`) that a summary needs. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: CallFrame;
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface TimeShare {
  readonly name: string;
  readonly ms: number;
  /** Of the busy time (idle excluded). */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly busyMs: number;
  /** Self time by function, roomcast's own code named by its source file. */
  readonly functions: readonly TimeShare[];
  /**
   * Time by owner: the nearest roomcast source file or package on the stack, so that node
   * internals and native calls (a socket write, a crypto call) are charged to whoever made them.
   */
  readonly owners: readonly TimeShare[];
  /** Time by the nearest src/ function on the stack, when no package frame sits in between. */
  readonly ownFunctions: readonly TimeShare[];
}

/**
 * Summarises the samples taken from `fromMicros` on (CLOCK_MONOTONIC in µs, the clock of
 * `process.hrtime` in every process), so that start-up is left out. `projectRoot` maps dist/*.js
 * back to src/*.ts.
 */
export function summariseCpuProfile(profile: CpuProfile, projectRoot: string, fromMicros = 0): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const describe = (frame: CallFrame) => describeFrame(frame, projectRoot);
  /** The first frame from `id` upwards that belongs to roomcast or a package. */
  const ownerOf = (id: number): CallFrame | undefined => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = frames.get(at)!;
      if (describe(frame).isAttributable) return frame;
    }
    return undefined;
  };
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const byOwnFunction = new Map<string, number>();
  const add = (totals: Map<string, number>, key: string, us: number) => totals.set(key, (totals.get(key) ?? 0) + us);
  let busyUs = 0;
  let sampledAt = profile.startTime;
  profile.samples.forEach((nodeId, index) => {
    const frame = frames.get(nodeId);
    const deltaUs = profile.timeDeltas[index] ?? 0;
    sampledAt += deltaUs;
    if (!frame || frame.functionName === '(idle)' || sampledAt < fromMicros) return;
    busyUs += deltaUs;
    const own = describe(frame);
    add(byFunction, own.functionName, deltaUs);
    const owner = ownerOf(nodeId);
    const ownerDescription = owner ? describe(owner) : own;
    add(byOwner, ownerDescription.area, deltaUs);
    if (ownerDescription.area.startsWith('src/')) add(byOwnFunction, ownerDescription.functionName, deltaUs);
  });
  const ranked = (totals: Map<string, number>) =>
    [...totals]
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busyUs > 0 ? (us / busyUs) * 100 : 0 }))
      .sort((a, b) => b.ms - a.ms);
  return {
    busyMs: busyUs / 1000,
    functions: ranked(byFunction),
    owners: ranked(byOwner),
    ownFunctions: ranked(byOwnFunction),
  };
}

/** Markdown tables of the top entries. */
export function renderProfile(summary: ProfileSummary, top: number): string {
  const table = (title: string, entries: readonly TimeShare[]) => [
    `| ${title} | ms | % of busy |`,
    '| --- | ---: | ---: |',
    ...entries.slice(0, top).map((entry) => `| ${entry.name} | ${entry.ms.toFixed(0)} | ${entry.percent.toFixed(1)} |`),
  ];
  return [
    `Busy time in the profile: ${(summary.busyMs / 1000).toFixed(1)} s.`,
    '',
    'By owner: the nearest roomcast file or package on the stack (node internals and native calls charged to their caller).',
    '',
    ...table('owner', summary.owners),
    '',
    'By src/ function: its self time plus the node internals and native calls it makes directly.',
    '',
    ...table('src/ function', summary.ownFunctions),
    '',
    'By function, self time only (all code):',
    '',
    ...table('function', summary.functions),
  ].join('\n');
}

interface FrameDescription {
  readonly functionName: string;
  /** A src/ file, a package, or a bucket for everything else. */
  readonly area: string;
  /** True for roomcast's own code and packages: the frames time is charged to. */
  readonly isAttributable: boolean;
}

function describeFrame(frame: CallFrame, projectRoot: string): FrameDescription {
  const file = sourceName(frame.url, projectRoot);
  const name = frame.functionName || '(anonymous)';
  const functionName = file ? `${file}:${name}:${frame.lineNumber + 1}` : name;
  if (file.startsWith('src/')) return { functionName, area: file, isAttributable: true };
  const nodeModule = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
  if (nodeModule) return { functionName, area: nodeModule, isAttributable: true };
  if (frame.url.startsWith('wasm:')) return { functionName, area: 'WebAssembly (PGlite)', isAttributable: false };
  if (frame.url.startsWith('node:')) return { functionName, area: 'node internals (JS)', isAttributable: false };
  const area = name.startsWith('(') ? name : '(native bindings)';
  return { functionName, area, isAttributable: false };
}

/** `src/...ts` for roomcast's compiled code, a path under node_modules for packages, the url otherwise. */
function sourceName(url: string, projectRoot: string): string {
  if (!url) return '';
  const path = relative(projectRoot, url.replace(/^file:\/\//, ''));
  if (path.startsWith('dist/')) return `src/${path.slice('dist/'.length).replace(/\.js$/, '.ts')}`;
  return path.startsWith('..') ? url : path;
}
