import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';

/**
 * Loaded into a server under test (`node --expose-gc --import <this>`, with `--diagnostic-dir`) by
 * the footprint's `--footprint-diagnostics`: on SIGWINCH it reads where the process's memory is,
 * collects all garbage, reads it again a few seconds later, and writes both to
 * `memory-<pid>-<n>.json` in the diagnostic dir.
 * The server's own code is not touched.
 */
const DIR_FLAG = '--diagnostic-dir=';
const dir = process.execArgv.find((flag) => flag.startsWith(DIR_FLAG))?.slice(DIR_FLAG.length) ?? process.cwd();
const RELEASE_MS = 5000;
let taken = 0;

function reading(): Record<string, number> {
  const usage = process.memoryUsage();
  const heap = getHeapStatistics();
  const rssKib = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return {
    rss: Number(rssKib) * 1024,
    heapTotal: usage.heapTotal,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    mallocedMemory: heap.malloced_memory,
  };
}

process.on('SIGWINCH', () => {
  const before = reading();
  (globalThis as { gc?: () => void }).gc?.();
  // V8 hands the pages it emptied back to the system while it sweeps, after the collection itself.
  setTimeout(() => {
    const afterGc = reading();
    // Written aside, then renamed: whoever waits for the file never reads half of it.
    const name = `memory-${process.pid}-${++taken}.json`;
    writeFileSync(join(dir, `.${name}`), JSON.stringify({ before, afterGc }));
    renameSync(join(dir, `.${name}`), join(dir, name));
  }, RELEASE_MS);
});
