import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The bench's own programs compiled to plain JavaScript, so that the peer servers and the load
 * generator run on bare node like roomcast's dist/ does. They land under node_modules so that
 * their package imports resolve from the project's node_modules.
 */
export const COMPILED_DIR = join(process.cwd(), 'node_modules', '.cache', 'roomcast-bench');

export const ENTRY_POINTS = {
  wsRawServer: 'bench/targets/ws-raw-server.ts',
  socketIoServer: 'bench/targets/socketio-server.ts',
  loadGenerator: 'bench/load/main.ts',
  memoryProbe: 'bench/targets/memory-probe.ts',
} as const;

export type Program = keyof typeof ENTRY_POINTS;

export async function compileBenchPrograms(): Promise<void> {
  await build({
    entryPoints: ENTRY_POINTS,
    outdir: COMPILED_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
}

export function compiledPath(program: Program): string {
  return join(COMPILED_DIR, `${program}.mjs`);
}
