import { readFileSync } from 'node:fs';

/**
 * What a V8 heap snapshot holds, by kind of object: `npx tsx bench/heap-summary.ts <file>
 * <connections>` prints the largest groups by self size (objects by constructor, closures by
 * function, strings, arrays, code...) and each divided by the connections the server held (a
 * snapshot of the footprint's idle ladder: `--footprint-diagnostics`). Given a second snapshot
 * and its connections (fewer), it prints the growth from that one instead, per connection added:
 * what each idle connection holds, the server's start-up heap left out.
 */
interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[]; readonly node_types: [string[]] } };
  readonly nodes: number[];
  readonly strings: string[];
}

interface Group {
  count: number;
  bytes: number;
}

const TOP = 30;
/** Node types whose name says what the object is; the others are grouped by type alone. */
const NAMED_TYPES = new Set(['object', 'closure', 'native', 'hidden', 'array']);

/** Self size and count of every group of the snapshot at `path`. */
function groupsOf(path: string): Map<string, Group> {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snapshot.meta.node_fields;
  const [typeField, nameField, sizeField] = ['type', 'name', 'self_size'].map((name) => fields.indexOf(name));
  const types = snapshot.meta.node_types[0];
  const groups = new Map<string, Group>();
  for (let offset = 0; offset < nodes.length; offset += fields.length) {
    const type = types[nodes[offset + typeField!]!]!;
    const key = NAMED_TYPES.has(type) ? `${type} ${strings[nodes[offset + nameField!]!]!.slice(0, 60)}` : `(${type})`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += nodes[offset + sizeField!]!;
    groups.set(key, group);
  }
  return groups;
}

const [path, connectionsArgument, basePath, baseConnectionsArgument] = process.argv.slice(2);
if (!path || !connectionsArgument)
  throw new Error(
    'usage: npx tsx bench/heap-summary.ts <file.heapsnapshot> <connections> [<fewer.heapsnapshot> <connections>]',
  );
const groups = groupsOf(path);
const base = basePath ? groupsOf(basePath) : new Map<string, Group>();
const connections = Number(connectionsArgument) - Number(baseConnectionsArgument ?? 0);
const growth = [...groups].map(([key, group]): [string, Group] => {
  const before = base.get(key) ?? { count: 0, bytes: 0 };
  return [key, { count: group.count - before.count, bytes: group.bytes - before.bytes }];
});
const total = growth.reduce((sum, [, group]) => sum + group.bytes, 0);
const lines = [
  `${basePath ? 'heap growth' : 'heap'} ${(total / 2 ** 20).toFixed(1)} MB over ${connections} connections: ` +
    `${(total / connections).toFixed(0)} bytes each`,
  '',
  `${'MB'.padStart(8)} ${'count'.padStart(9)} ${'B/conn.'.padStart(8)}  group`,
  ...growth
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, TOP)
    .map(
      ([key, group]) =>
        `${(group.bytes / 2 ** 20).toFixed(2).padStart(8)} ${String(group.count).padStart(9)} ` +
        `${(group.bytes / connections).toFixed(0).padStart(8)}  ${key}`,
    ),
];
process.stdout.write(`${lines.join('\n')}\n`);
