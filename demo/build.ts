import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const sourceDir = fileURLToPath(new URL('./src/', import.meta.url));

/**
 * Where `npm run build` puts the demo. Its twin is DEMO_BUNDLE_DIR in src/composition/http.ts, the
 * directory the server serves: src/ cannot import demo/, so keep the two equal.
 */
const DEMO_BUNDLE_DIR = fileURLToPath(new URL('../dist/demo/', import.meta.url));

/** Bundles the demo page (and the client library it uses) into `outDir`: index.html, demo.css, demo.js. */
export async function buildDemo(outDir = DEMO_BUNDLE_DIR): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(sourceDir, 'main.ts')],
    outfile: join(outDir, 'demo.js'),
    tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    sourcemap: true,
    logLevel: 'warning',
  });
  await Promise.all(['index.html', 'demo.css'].map((file) => copyFile(join(sourceDir, file), join(outDir, file))));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildDemo();
}
