import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { BenchResults } from './results.js';

const README = 'bench/README.md';
const START = '<!-- latest-results:start -->';
const END = '<!-- latest-results:end -->';

/** Writes bench/results/<date>.md (and the raw numbers as .json beside it); returns the Markdown's path. */
export async function writeResults(results: BenchResults, markdown: string): Promise<string> {
  await mkdir('bench/results', { recursive: true });
  const path = `bench/results/${results.date}.md`;
  await writeFile(path, markdown);
  await writeFile(`bench/results/${results.date}.json`, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** Replaces the latest-results section of bench/README.md with this run's report. */
export async function updateReadme(markdown: string): Promise<void> {
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${README} has no ${START} … ${END} section`);
  // The report's own title becomes a subsection of the README.
  const section = markdown.replace(/^# /, '### ').replace(/^## /gm, '#### ');
  await writeFile(README, `${readme.slice(0, start + START.length)}\n${section}\n${readme.slice(end)}`);
}
